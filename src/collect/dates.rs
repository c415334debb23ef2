//! `--start` and `--end`: a UTC date, a UTC date and minute, or milliseconds
//! since the Unix epoch. Anything else is refused with the forms that work.

use crate::domain::time::days_from_civil;

/// The forms a time may take, for error messages.
pub const FORMS: &str =
    "use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), or milliseconds since 1970-01-01";

/// Below this an integer is taken for seconds, not milliseconds (it would be
/// a time in 1973).
const SMALLEST_MS: i64 = 100_000_000_000;

/// `2024-01-01` (midnight UTC), `2024-01-01T13:45` (UTC) or `1704067200000`.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = t
            .parse()
            .map_err(|_| format!("`{t}` is too large for a time; {FORMS}"))?;
        if ms < SMALLEST_MS {
            return Err(format!(
                "`{t}` looks like seconds, not milliseconds (it would be {}); {FORMS}",
                crate::domain::time::format_utc(ms)
            ));
        }
        return Ok(ms);
    }
    let (date, minute) = match t.len() {
        10 => (t, None),
        16 if t.as_bytes()[10] == b'T' => (&t[..10], Some(&t[11..])),
        _ => return Err(format!("`{t}` is not a time; {FORMS}")),
    };
    let day_ms = parse_date(date).map_err(|p| format!("`{t}`: {p}; {FORMS}"))?;
    let minute_ms = match minute {
        None => 0,
        Some(hm) => parse_hour_minute(hm).map_err(|p| format!("`{t}`: {p}; {FORMS}"))?,
    };
    Ok(day_ms + minute_ms)
}

/// `YYYY-MM-DD` → the day's midnight UTC in ms.
fn parse_date(s: &str) -> Result<i64, String> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err("the date is not YYYY-MM-DD".into());
    }
    let year = digits(&s[0..4]).ok_or("the year is not 4 digits")?;
    let month = digits(&s[5..7]).ok_or("the month is not 2 digits")?;
    let day = digits(&s[8..10]).ok_or("the day is not 2 digits")?;
    if year < 1970 {
        return Err(format!("year {year} is before 1970"));
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not 01..12"));
    }
    let last = days_in_month(year, month);
    if !(1..=last).contains(&day) {
        return Err(format!(
            "day {day} is not in {year}-{month:02} (01..{last:02})"
        ));
    }
    Ok(days_from_civil(year, month, day) * 86_400_000)
}

/// `HH:MM` → ms after midnight.
fn parse_hour_minute(s: &str) -> Result<i64, String> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return Err("the time of day is not HH:MM".into());
    }
    let hour = digits(&s[0..2]).ok_or("the hour is not 2 digits")?;
    let minute = digits(&s[3..5]).ok_or("the minute is not 2 digits")?;
    if hour > 23 {
        return Err(format!("hour {hour} is not 00..23"));
    }
    if minute > 59 {
        return Err(format!("minute {minute} is not 00..59"));
    }
    Ok((hour * 60 + minute) * 60_000)
}

fn digits(s: &str) -> Option<i64> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::format_utc;

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("2024-01-01"), Ok(1_704_067_200_000));
        assert_eq!(parse_time("2024-02-29"), Ok(1_709_164_800_000));
        assert_eq!(parse_time(" 2000-03-01 "), Ok(951_868_800_000));
    }

    #[test]
    fn date_and_minute_are_utc() {
        assert_eq!(
            parse_time("2024-01-01T13:45"),
            Ok(1_704_067_200_000 + (13 * 60 + 45) * 60_000)
        );
        assert_eq!(
            format_utc(parse_time("2025-12-31T23:59").unwrap()),
            "2025-12-31 23:59:00"
        );
    }

    #[test]
    fn milliseconds_pass_through() {
        assert_eq!(parse_time("1704067200000"), Ok(1_704_067_200_000));
    }

    #[test]
    fn every_day_of_four_centuries_round_trips_through_the_formatter() {
        let mut ms = parse_time("1970-01-01").unwrap();
        for _ in 0..(400 * 366) {
            let text = format_utc(ms);
            assert_eq!(parse_time(&text[..10]), Ok(ms), "{text}");
            ms += 86_400_000;
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_forms_that_work() {
        for bad in [
            "",
            "yesterday",
            "2024-1-01",
            "2024/01/01",
            "2024-13-01",
            "2024-00-10",
            "2023-02-29",
            "2024-04-31",
            "2024-01-01T24:00",
            "2024-01-01T12:60",
            "2024-01-01 12:00",
            "2024-01-01T12:00:00",
            "2024-01-01T1200",
            "1969-12-31",
            "-5",
            "1.5e12",
            "99999999999999999999999",
        ] {
            let err = parse_time(bad).unwrap_err();
            assert!(err.contains("YYYY-MM-DD"), "{bad}: {err}");
        }
    }

    #[test]
    fn seconds_are_not_mistaken_for_milliseconds() {
        let err = parse_time("1704067200").unwrap_err();
        assert!(err.contains("looks like seconds"), "{err}");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(parse_time("2023-02-29").unwrap_err().contains("day 29"));
        assert!(parse_time("2024-13-01").unwrap_err().contains("month 13"));
        assert!(
            parse_time("2024-01-01T25:00")
                .unwrap_err()
                .contains("hour 25")
        );
    }
}
