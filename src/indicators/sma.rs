//! Simple moving average as TA-Lib keeps it: one running sum, the new value
//! added before the mean is taken and the oldest removed after, which is what
//! makes the Bollinger middle band bit-identical to TA-Lib's.

/// SMA(n), first value after n inputs.
#[derive(Debug, Clone)]
pub struct Sma {
    window: Box<[f64]>,
    /// Slot the next input is written to; once full, also the oldest input.
    next: usize,
    seen: usize,
    total: f64,
}

impl Sma {
    pub fn new(period: usize) -> Self {
        Sma {
            window: vec![0.0; period.max(1)].into_boxed_slice(),
            next: 0,
            seen: 0,
            total: 0.0,
        }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        let n = self.window.len();
        self.window[self.next] = x;
        // A compare, not `%`: the period is only known at run time, so `%`
        // would be an integer division on every update.
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.total += x;
        if self.seen + 1 < n {
            self.seen += 1;
            return None;
        }
        let mean = self.total / n as f64;
        // After the wrap above, `next` is the oldest input of this window.
        self.total -= self.window[self.next];
        Some(mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_the_last_n_inputs() {
        let mut sma = Sma::new(3);
        let out: Vec<_> = [3.0, 6.0, 9.0, 0.0, 3.0]
            .iter()
            .map(|&x| sma.update(x))
            .collect();
        assert_eq!(out, [None, None, Some(6.0), Some(5.0), Some(4.0)]);
    }

    #[test]
    fn period_one_is_the_input() {
        let mut sma = Sma::new(1);
        assert_eq!(sma.update(2.5), Some(2.5));
        assert_eq!(sma.update(-7.0), Some(-7.0));
    }
}
