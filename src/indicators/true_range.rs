//! Wilder's true range, shared by ATR and the directional movement system.

/// The largest of high − low, |high − prev close| and |low − prev close|.
pub fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut tr = high - low;
    let up = (high - prev_close).abs();
    if up > tr {
        tr = up;
    }
    let down = (low - prev_close).abs();
    if down > tr {
        tr = down;
    }
    tr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_bar_uses_its_own_range() {
        assert_eq!(true_range(12.0, 10.0, 11.0), 2.0);
    }

    #[test]
    fn gap_up_reaches_back_to_the_previous_close() {
        assert_eq!(true_range(15.0, 14.0, 10.0), 5.0);
    }

    #[test]
    fn gap_down_reaches_up_to_the_previous_close() {
        assert_eq!(true_range(8.0, 7.0, 10.0), 3.0);
    }
}
