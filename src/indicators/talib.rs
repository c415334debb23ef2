//! TA-Lib numerical conventions that several indicators share.

/// TA-Lib (0.6 and later) treats magnitudes below this as zero.
pub const TA_EPSILON: f64 = 1e-14;

/// TA-Lib's `TA_IS_ZERO`: where it guards a division, the indicator reports 0
/// (or keeps its last value) instead of dividing by a vanishing sum.
pub fn ta_is_zero(v: f64) -> bool {
    -TA_EPSILON < v && v < TA_EPSILON
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_band_is_open_at_epsilon() {
        assert!(ta_is_zero(0.0) && ta_is_zero(-0.0) && ta_is_zero(9e-15));
        assert!(!ta_is_zero(TA_EPSILON) && !ta_is_zero(-TA_EPSILON));
    }
}
