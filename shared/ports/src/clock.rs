//! Time: an injectable clock (tests move it) and BoxBilling's date format.

use std::sync::Mutex;
use time::OffsetDateTime;
use time::macros::format_description;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved (tests of windows and expiry).
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(at: OffsetDateTime) -> Self {
        ManualClock(Mutex::new(at))
    }
    pub fn advance(&self, by: time::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().map(|t| *t).unwrap_or_else(|p| *p.into_inner())
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, as every date in the API.
pub fn format_datetime(t: OffsetDateTime) -> String {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.to_offset(time::UtcOffset::UTC).format(&f).unwrap_or_default()
}

/// Parses `YYYY-MM-DD HH:MM:SS` (the stored form) back.
pub fn parse_datetime(text: &str) -> Option<OffsetDateTime> {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, &f).ok().map(|p| p.assume_utc())
}

/// Parses a calendar date given by a client: `YYYY-MM-DD`, optionally with a time.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let f = format_description!("[year]-[month]-[day]");
    let text = text.trim();
    let day = text.get(..10).unwrap_or(text);
    let rest = text.get(10..).unwrap_or("");
    if !(rest.is_empty() || parse_datetime(text).is_some()) {
        return None;
    }
    time::Date::parse(day, &f).ok()
}

pub fn format_date(d: time::Date) -> String {
    let f = format_description!("[year]-[month]-[day]");
    d.format(&f).unwrap_or_default()
}

pub use time::{Date, Duration};

/// A date filter parameter (`YYYY-MM-DD`): absent or blank is no filter; anything else that is
/// not a date is refused with a clear message.
pub fn date_filter(name: &str, value: &Option<String>) -> crate::error::ApiResult<Option<Date>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse_date(text)
            .map(Some)
            .ok_or_else(|| crate::error::ApiError::new(format!("{name} must be a date (YYYY-MM-DD)"))),
    }
}

/// The calendar day of a stored `YYYY-MM-DD HH:MM:SS`.
pub fn day_of(datetime: &str) -> Option<Date> {
    parse_date(datetime)
}

/// Whether a stored datetime falls inside the inclusive day range of the filters.
pub fn within(datetime: &str, from: Option<Date>, to: Option<Date>) -> bool {
    let day = day_of(datetime);
    from.is_none_or(|d| day.is_some_and(|x| x >= d)) && to.is_none_or(|d| day.is_some_and(|x| x <= d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = time::macros::datetime!(2026-11-29 02:33:15 UTC);
        assert_eq!(format_datetime(t), "2026-11-29 02:33:15");
        assert_eq!(parse_datetime("2026-11-29 02:33:15"), Some(t));
        assert_eq!(parse_date("1990-02-28").map(format_date).as_deref(), Some("1990-02-28"));
        assert_eq!(
            parse_date("1990-02-28 10:00:00").map(format_date).as_deref(),
            Some("1990-02-28")
        );
        assert!(parse_date("1990-02-30").is_none());
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("1990-02-28xyz").is_none());
    }
}
