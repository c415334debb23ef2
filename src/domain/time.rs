//! UTC calendar arithmetic without a date crate: the cockpit only ever needs
//! to print and parse UTC timestamps.

/// `2026-11-21 17:45:03` for a time in ms since the Unix epoch.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Start of the UTC day containing `ms`.
pub fn utc_day_start(ms: i64) -> i64 {
    ms - ms.rem_euclid(86_400_000)
}

/// The UTC calendar date `(year, month 1..=12, day 1..=31)` of a time in ms.
pub fn civil_from_ms(ms: i64) -> (i64, u32, u32) {
    civil_from_days(ms.div_euclid(86_400_000))
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian): days since
/// 1970-01-01 for a valid date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00");
        // 2020-03-12 00:00 UTC, the COVID crash day.
        assert_eq!(format_utc(1_583_971_200_000), "2020-03-12 00:00:00");
        // A leap day.
        assert_eq!(format_utc(1_709_210_096_000), "2024-02-29 12:34:56");
        assert_eq!(format_utc(-1000), "1969-12-31 23:59:59");
    }

    #[test]
    fn civil_dates_round_trip_through_days() {
        for ms in [0, 1_583_971_200_000, 1_709_210_096_000, -1000] {
            let (y, m, d) = civil_from_ms(ms);
            let day = days_from_civil(y, m as i64, d as i64);
            assert_eq!(day * 86_400_000, utc_day_start(ms), "{ms}");
        }
        assert_eq!(civil_from_ms(1_709_210_096_000), (2024, 2, 29));
    }

    #[test]
    fn day_start_truncates_to_midnight_utc() {
        assert_eq!(utc_day_start(1_709_210_096_000), 1_709_164_800_000);
    }
}
