//! Billing periods: a count and a unit (`1M`, `3M`, `1Y`, `30D`, `2W`) with BoxBilling's ranges.

use crate::error::{ApiError, ApiResult};
use time::{Date, Duration, Month, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub qty: u32,
    /// `D`, `W`, `M` or `Y`.
    pub unit: char,
}

impl Period {
    pub fn parse(code: &str) -> ApiResult<Period> {
        let code = code.trim().to_uppercase();
        if code.len() < 2 {
            return Err(ApiError::new(
                "Invalid period code. Period definition must be 2 chars length",
            ));
        }
        let unit = code.chars().last().unwrap_or(' ');
        let qty: u32 = code[..code.len() - 1]
            .parse()
            .map_err(|_| ApiError::new("Invalid period code. Period definition must be 2 chars length"))?;
        let (min, max) = match unit {
            'D' => (1, 90),
            'W' => (1, 52),
            'M' => (1, 24),
            'Y' => (1, 5),
            other => return Err(ApiError::new(format!("Period Error. Unit {other} is not defined"))),
        };
        if !(min..=max).contains(&qty) {
            return Err(ApiError::new(format!(
                "Invalid period quantity {qty} for unit {unit}. Allowed range is from {min} to {max}"
            )));
        }
        Ok(Period { qty, unit })
    }

    pub fn code(&self) -> String {
        format!("{}{}", self.qty, self.unit)
    }

    /// `start` plus this period; months keep the day, clamped to the month's end.
    pub fn add_to(&self, start: OffsetDateTime) -> OffsetDateTime {
        match self.unit {
            'D' => start + Duration::days(i64::from(self.qty)),
            'W' => start + Duration::weeks(i64::from(self.qty)),
            'M' => add_months(start, self.qty),
            _ => add_months(start, self.qty * 12),
        }
    }
}

fn add_months(start: OffsetDateTime, months: u32) -> OffsetDateTime {
    let total = start.year() * 12 + (i32::from(u8::from(start.month())) - 1) + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::January);
    let last_day = time::util::days_in_month(month, year);
    let day = start.day().min(last_day);
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => start.replace_date(date),
        Err(_) => start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_and_adds() {
        let p = Period::parse("1M").unwrap();
        assert_eq!(
            p.add_to(datetime!(2026-01-31 10:00 UTC)),
            datetime!(2026-02-28 10:00 UTC)
        );
        assert_eq!(
            Period::parse("1Y").unwrap().add_to(datetime!(2024-02-29 0:00 UTC)),
            datetime!(2025-02-28 0:00 UTC)
        );
        assert_eq!(
            Period::parse("3M").unwrap().add_to(datetime!(2026-11-15 0:00 UTC)),
            datetime!(2027-02-15 0:00 UTC)
        );
        assert_eq!(
            Period::parse("2W").unwrap().add_to(datetime!(2026-11-15 0:00 UTC)),
            datetime!(2026-11-29 0:00 UTC)
        );
        assert_eq!(
            Period::parse("x").unwrap_err().message,
            "Invalid period code. Period definition must be 2 chars length"
        );
        assert_eq!(
            Period::parse("1X").unwrap_err().message,
            "Period Error. Unit X is not defined"
        );
        assert_eq!(
            Period::parse("25M").unwrap_err().message,
            "Invalid period quantity 25 for unit M. Allowed range is from 1 to 24"
        );
    }
}
