//! `Fixed(x, d)` writes `x` with `d` decimals exactly as `{x:.d$}` does,
//! several times faster: the reasons of every trade print a dozen such
//! numbers, and the standard formatter's exact mode was the largest part of
//! what a backtest spent per trade.

use std::fmt;

/// Above this many decimals (or for NaN, infinities and huge values) the
/// standard formatter does the work.
const MAX_DECIMALS: usize = 12;

pub struct Fixed(pub f64, pub usize);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(x, decimals) = *self;
        let mut buf = [0u8; 64];
        match write_fixed(&mut buf, x, decimals) {
            // Only ASCII digits, '-' and '.' were written.
            Some(len) => f.write_str(std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?),
            None => write!(f, "{x:.decimals$}"),
        }
    }
}

/// `x` rounded to `decimals` places, ties to even, from its exact binary
/// value (as the standard library rounds); `None` where it cannot take it.
fn write_fixed(buf: &mut [u8; 64], x: f64, decimals: usize) -> Option<usize> {
    if decimals > MAX_DECIMALS {
        return None;
    }
    let bits = x.to_bits();
    let negative = bits >> 63 == 1;
    let exponent_bits = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if exponent_bits == 0x7ff {
        return None;
    }
    // x = mantissa · 2^exponent exactly.
    let (mantissa, exponent) = if exponent_bits == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, exponent_bits - 1075)
    };
    let scale = 10u128.pow(decimals as u32);
    // x · 10^decimals, rounded to an integer: below 2^53 · 10^12 < 2^93.
    let scaled: u128 = if exponent >= 0 {
        // An integer: fits while mantissa · 2^exponent · 10^12 < 2^128.
        if exponent > 34 {
            return None;
        }
        (u128::from(mantissa) << exponent) * scale
    } else {
        let shift = -exponent as u32;
        let n = u128::from(mantissa) * scale;
        if shift >= 127 {
            // n < 2^93 is below half of 2^shift: rounds to zero.
            0
        } else {
            let quotient = n >> shift;
            let remainder = n & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            let round_up = remainder > half || (remainder == half && quotient & 1 == 1);
            quotient + u128::from(round_up)
        }
    };
    // Beyond 64 bits (about 1.8e19 / 10^decimals) the standard formatter
    // takes over; everyday numbers stay in 64-bit division, several times
    // cheaper than 128-bit.
    let scaled = u64::try_from(scaled).ok()?;
    let scale = scale as u64;
    let (mut integer, mut frac) = (scaled / scale, scaled % scale);
    let mut len = 0;
    if negative {
        buf[len] = b'-';
        len += 1;
    }
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (integer % 10) as u8;
        integer /= 10;
        if integer == 0 {
            break;
        }
    }
    let integer_digits = &digits[start..];
    buf[len..len + integer_digits.len()].copy_from_slice(integer_digits);
    len += integer_digits.len();
    if decimals > 0 {
        buf[len] = b'.';
        len += 1;
        for i in (0..decimals).rev() {
            buf[len + i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        len += decimals;
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same_as_std(x: f64, d: usize) {
        assert_eq!(
            Fixed(x, d).to_string(),
            format!("{x:.d$}"),
            "x = {x:e} ({:#x}), {d} decimals",
            x.to_bits()
        );
    }

    #[test]
    fn ties_signs_and_edges_print_as_the_standard_formatter_does() {
        for x in [
            0.0,
            -0.0,
            0.125,
            0.375,
            2.5,
            3.5,
            -2.5,
            1.005,
            0.005,
            -0.001,
            58.312_44,
            61_234.5,
            1e-300,
            5e-324,
            -5e-324,
            1e15,
            123_456_789_012_345.67,
            9.007_199_254_740_993e15,
            1e22,
            1e300,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            for d in 0..=14 {
                same_as_std(x, d);
            }
        }
    }

    proptest! {
        #[test]
        fn any_number_prints_as_the_standard_formatter_does(bits in any::<u64>(), d in 0usize..=13) {
            same_as_std(f64::from_bits(bits), d);
        }

        #[test]
        fn everyday_numbers_print_as_the_standard_formatter_does(x in -1e7f64..1e7, d in 0usize..=6) {
            same_as_std(x, d);
        }

        #[test]
        fn exact_halves_print_as_the_standard_formatter_does(n in -1_000_000i64..1_000_000, d in 0usize..=4) {
            // n / 2^k with few bits lands exactly on ties at some precision.
            for k in 1..=12 {
                same_as_std(n as f64 / f64::from(1u32 << k), d);
            }
        }
    }
}
