//! RFC 3339 timestamps in UTC with milliseconds (`2026-03-01T12:00:00.250Z`), from `SystemTime`.
//!
//! Twenty lines of calendar arithmetic instead of a date crate: a CDR needs only this one format,
//! always in UTC, so there are no time zones or leap-second tables to get right. The day count to
//! civil date conversion uses 400-year eras of the proleptic Gregorian calendar, with years
//! counted from March so that the leap day falls at the end of a year.

use std::time::{SystemTime, UNIX_EPOCH};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`. Times before 1970 are handled; years outside 0..=9999 are
/// clamped to that range so the format keeps four digits.
pub fn rfc3339(t: SystemTime) -> String {
    let millis: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        // Before the epoch: round toward the past, as the fields below expect.
        Err(e) => {
            let d = e.duration();
            let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
            let partial = if d.as_nanos() % 1_000_000 == 0 { 0 } else { 1 };
            -(ms.saturating_add(partial))
        }
    };
    format_millis(millis)
}

/// Milliseconds since the Unix epoch (negative before it) as RFC 3339 UTC.
fn format_millis(millis: i64) -> String {
    let min = -62_167_219_200_000; // 0000-01-01T00:00:00Z
    let max = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let millis = millis.clamp(min, max);
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let in_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let secs = in_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        in_day % 1000
    )
}

/// Days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Shift the origin to 0000-03-01 so each era (400 years, 146 097 days) starts on a March 1st.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    // Years of the era: every 4th year is leap, except the 100th, except the 400th.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28/29 days, which the
    // line (153 * m + 2) / 5 reproduces.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(millis: i64) -> String {
        format_millis(millis)
    }

    #[test]
    fn known_instants() {
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(951_868_799_999), "2000-02-29T23:59:59.999Z");
        assert_eq!(at(951_868_800_000), "2000-03-01T00:00:00.000Z");
        assert_eq!(at(4_107_456_000_000), "2100-02-28T00:00:00.000Z");
        assert_eq!(at(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(at(1_709_210_096_007), "2024-02-29T12:34:56.007Z");
        assert_eq!(at(1_735_689_599_999), "2024-12-31T23:59:59.999Z");
        assert_eq!(at(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(at(-2_208_988_800_000), "1900-01-01T00:00:00.000Z");
        assert_eq!(at(i64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(at(i64::MIN), "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        // 1969-01-01 to 2100-12-31: dates strictly increase one day at a time, months have
        // their lengths, and Feb 29 appears exactly in leap years.
        let mut prev = civil_from_days(-366);
        for days in -365..47_847 {
            let (y, m, d) = civil_from_days(days);
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            assert!((1..=len).contains(&d), "{y}-{m}-{d}");
            if d == 1 {
                let (py, pm, _) = prev;
                assert!(
                    (m == 1 && py + 1 == y && pm == 12) || (py == y && pm + 1 == m),
                    "{prev:?} -> {y}-{m}-{d}"
                );
            } else {
                assert_eq!(prev, (y, m, d - 1));
            }
            prev = (y, m, d);
        }
        assert_eq!(prev, (2100, 12, 31));
    }

    #[test]
    fn from_system_time() {
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_007) + Duration::from_micros(900);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.007Z");
        let before = UNIX_EPOCH - Duration::from_micros(1500);
        assert_eq!(rfc3339(before), "1969-12-31T23:59:59.998Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(86_400)),
            "1969-12-31T00:00:00.000Z"
        );
    }
}
