//! Time ticks at calendar boundaries (years, months, days, hours, UTC) and
//! readable numbers for the chart axes.

use crate::domain::time::{civil_from_ms, days_from_civil};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// At most this many labelled ticks on the time axis.
const MAX_TICKS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Years(i64),
    Months(i64),
    Days(i64),
    Hours(i64),
}

const STEPS: [Step; 14] = [
    Step::Hours(1),
    Step::Hours(3),
    Step::Hours(6),
    Step::Hours(12),
    Step::Days(1),
    Step::Days(2),
    Step::Days(7),
    Step::Days(14),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
];

impl Step {
    /// How a tick of this step reads.
    pub fn label(self, ms: i64) -> String {
        let (y, m, d) = civil_from_ms(ms);
        match self {
            Step::Years(_) => format!("{y}"),
            Step::Months(_) => format!("{y}-{m:02}"),
            Step::Days(_) => format!("{y}-{m:02}-{d:02}"),
            Step::Hours(_) => {
                format!("{m:02}-{d:02} {:02}:00", ms.rem_euclid(DAY_MS) / HOUR_MS)
            }
        }
    }

    /// The ticks of this step in `[from, to]`.
    fn ticks(self, from: i64, to: i64) -> Vec<i64> {
        let (y, m, _) = civil_from_ms(from);
        let month_start = |months: i64| {
            let (yy, mm) = (months.div_euclid(12), months.rem_euclid(12) + 1);
            days_from_civil(yy, mm, 1) * DAY_MS
        };
        let mut out = Vec::new();
        match self {
            Step::Years(n) => {
                let mut year = y - y.rem_euclid(n);
                loop {
                    let t = days_from_civil(year, 1, 1) * DAY_MS;
                    if t > to {
                        break;
                    }
                    if t >= from {
                        out.push(t);
                    }
                    year += n;
                }
            }
            Step::Months(n) => {
                let months = y * 12 + (m as i64 - 1);
                let mut k = months - months.rem_euclid(n);
                loop {
                    let t = month_start(k);
                    if t > to {
                        break;
                    }
                    if t >= from {
                        out.push(t);
                    }
                    k += n;
                }
            }
            Step::Days(n) | Step::Hours(n) => {
                let step = match self {
                    Step::Days(_) => n * DAY_MS,
                    _ => n * HOUR_MS,
                };
                // Weeks start on Mondays (1970-01-01 was a Thursday).
                let origin = if matches!(self, Step::Days(7) | Step::Days(14)) {
                    4 * DAY_MS
                } else {
                    0
                };
                let mut t = from - (from - origin).rem_euclid(step);
                while t <= to {
                    if t >= from {
                        out.push(t);
                    }
                    t += step;
                }
            }
        }
        out
    }
}

/// The finest calendar step that puts at most `MAX_TICKS` ticks on
/// `[from, to]`, and those ticks.
pub fn time_ticks(from: i64, to: i64) -> (Step, Vec<i64>) {
    let mut last = (Step::Years(1), Vec::new());
    for step in STEPS {
        let ticks = step.ticks(from, to);
        if ticks.len() <= MAX_TICKS {
            return (step, ticks);
        }
        last = (step, ticks);
    }
    // Decades: thin the two-year ticks.
    let (step, ticks) = last;
    let keep = ticks.len().div_ceil(MAX_TICKS);
    (step, ticks.into_iter().step_by(keep).collect())
}

/// `12,345` or `12,345.67`: thousands grouped, `decimals` after the point.
pub fn grouped(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// Decimals that tell ticks `span / 8` apart.
pub fn decimals_for(span: f64) -> usize {
    match span {
        s if s >= 50.0 => 0,
        s if s >= 5.0 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::parse_time;

    fn t(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    #[test]
    fn seven_years_are_ticked_at_new_year() {
        let (step, ticks) = time_ticks(t("2019-09-08T17:00"), t("2026-11-20T23:00"));
        assert_eq!(step, Step::Years(1));
        let labels: Vec<String> = ticks.iter().map(|&x| step.label(x)).collect();
        assert_eq!(
            labels,
            ["2020", "2021", "2022", "2023", "2024", "2025", "2026"]
        );
    }

    #[test]
    fn a_quarter_is_ticked_at_weeks_starting_monday() {
        let (step, ticks) = time_ticks(t("2024-01-01"), t("2024-03-31"));
        assert_eq!(step, Step::Days(14));
        // Every other Monday, the same ones from any start.
        assert_eq!(step.label(ticks[0]), "2024-01-08");
        assert_eq!(ticks[1] - ticks[0], 14 * DAY_MS);
        assert_eq!((ticks[0] / DAY_MS + 3).rem_euclid(7), 0);
        let (_, later) = time_ticks(t("2024-01-09"), t("2024-04-08"));
        assert_eq!(later[0], ticks[1]);
    }

    #[test]
    fn three_years_are_ticked_at_quarters() {
        let (step, ticks) = time_ticks(t("2021-02-10"), t("2024-01-05"));
        assert_eq!(step, Step::Months(3));
        assert_eq!(step.label(ticks[0]), "2021-04");
        assert_eq!(step.label(*ticks.last().unwrap()), "2024-01");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(-10_000.0, 0), "-10,000");
        assert_eq!(grouped(-0.001, 2), "0.00");
    }
}
