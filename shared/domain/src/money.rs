//! Money: `rust_decimal` everywhere, rounded half away from zero at the currency's scale
//! (two places, as BoxBilling's currencies), written as decimal strings (`"10.00"`).

use crate::error::{ApiError, ApiResult};
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// Decimal places of every amount.
pub const SCALE: u32 = 2;

pub fn round(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointAwayFromZero)
}

/// `"10.00"`, `"-3.50"`.
pub fn text(amount: Decimal) -> String {
    let mut rounded = round(amount);
    rounded.rescale(SCALE);
    if rounded.is_zero() {
        rounded.set_sign_positive(true);
    }
    rounded.to_string()
}

/// Parses an amount stored as text; a corrupt value is our fault, not the caller's.
pub fn parse(stored: &str) -> ApiResult<Decimal> {
    Decimal::from_str(stored.trim()).map_err(|_| ApiError::internal(format!("stored amount {stored:?} is not decimal")))
}

/// BoxBilling's price formats (`price_format` 1-5) inside a currency's `format`
/// (`${{price}}`): 1 `1234.50`, 2 `1,234.50`, 3 `1.234,50`, 4 `1,235`, 5 `1235`.
pub fn format_price(amount: Decimal, price_format: &str, format: &str) -> String {
    let (decimals, thousands, point) = match price_format {
        "2" => (2, ",", "."),
        "3" => (2, ".", ","),
        "4" => (0, ",", "."),
        "5" => (0, "", "."),
        _ => (2, "", "."),
    };
    let mut value = amount
        .abs()
        .round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    value.rescale(decimals);
    let plain = value.to_string();
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(thousands);
        }
        grouped.push(c);
    }
    let sign = if amount.is_sign_negative() && !value.is_zero() {
        "-"
    } else {
        ""
    };
    let number = if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{frac}")
    };
    if format.contains("{{price}}") {
        format.replace("{{price}}", &number)
    } else {
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounding_and_text() {
        assert_eq!(text(d("10")), "10.00");
        assert_eq!(text(d("2.005")), "2.01");
        assert_eq!(text(d("-2.005")), "-2.01");
        assert_eq!(text(d("0.1") + d("0.2")), "0.30");
        assert_eq!(text(d("-0.001")), "0.00");
    }

    #[test]
    fn boxbilling_price_formats() {
        let a = d("1234.5");
        assert_eq!(format_price(a, "1", "${{price}}"), "$1234.50");
        assert_eq!(format_price(a, "2", "${{price}}"), "$1,234.50");
        assert_eq!(format_price(a, "3", "{{price}} €"), "1.234,50 €");
        assert_eq!(format_price(a, "4", "{{price}}"), "1,235");
        assert_eq!(format_price(a, "5", "{{price}}"), "1235");
        assert_eq!(format_price(d("-5"), "1", "{{price}}"), "-5.00");
        assert_eq!(format_price(d("999999.999"), "2", "{{price}}"), "1,000,000.00");
    }
}

/// An amount as BoxBilling answers it: decimal text with two places (`"10.00"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money(pub Decimal);

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&text(self.0))
    }
}

impl bb_ports::answer::Answer for Money {
    fn schema() -> serde_json::Value {
        serde_json::json!({"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$"})
    }
}

#[cfg(test)]
mod money_answer_tests {
    use super::*;

    #[test]
    fn money_answers_with_two_places() {
        assert_eq!(serde_json::to_value(Money(Decimal::new(10, 0))).unwrap(), "10.00");
        assert_eq!(serde_json::to_value(Money(Decimal::new(-35, 1))).unwrap(), "-3.50");
    }
}
