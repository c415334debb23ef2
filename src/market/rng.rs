//! The demo market's random numbers: xoshiro256** seeded through SplitMix64.
//!
//! Written out here rather than taken from `rand` so that a seed gives the same
//! market forever: `rand` may change its algorithms or its float conversions
//! between versions, and a demo that shifts under a crate upgrade breaks both
//! the calibration tests and anyone's remembered "seed 42 crashes at bar 3000".
//! Reference: Blackman & Vigna, "Scrambled linear pseudorandom number
//! generators" (2018), <https://prng.di.unimi.it/>.

/// SplitMix64's output function: a strong 64-bit mixer, used to turn seeds
/// (often small, similar numbers) into well-spread states.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// xoshiro256**: 256 bits of state, period 2^256 − 1, passes BigCrush, and a
/// handful of shifts per draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Rng {
    s: [u64; 4],
    /// The polar method makes normals in pairs; the second waits here.
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator for `(seed, stream)`: distinct streams of one seed are
    /// unrelated sequences.
    pub fn new(seed: u64, stream: u64) -> Rng {
        // Streams are hashed before being combined so that (seed, stream) and
        // (seed + 1, stream - 1) do not collide.
        let mut x = mix64(seed) ^ mix64(stream ^ 0xD1B5_4A32_D192_ED03);
        let mut s = [0u64; 4];
        for word in &mut s {
            x = x.wrapping_add(GOLDEN_GAMMA);
            *word = mix64(x);
        }
        // SplitMix64 never yields four zero words in a row, but the all-zero
        // state is xoshiro's one fixed point, so make sure.
        if s == [0; 4] {
            s[0] = GOLDEN_GAMMA;
        }
        Rng {
            s,
            spare_normal: None,
        }
    }

    #[cfg(test)]
    fn from_state(s: [u64; 4]) -> Rng {
        Rng {
            s,
            spare_normal: None,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in the open interval (0, 1): never 0, so `ln` is always finite.
    pub fn uniform(&mut self) -> f64 {
        // The top 53 bits give every double of the form k / 2^53; the half
        // step moves them off zero.
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Exponential with mean 1.
    pub fn exponential(&mut self) -> f64 {
        -self.uniform().ln()
    }

    /// Standard normal by Marsaglia's polar method (no trigonometry, exact).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s < 1.0 && s > 0.0 {
                let f = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape > 0.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a).
            let u = self.uniform();
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = self.normal();
            let v = (1.0 + c * z).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// Student-t with `nu` degrees of freedom, rescaled to unit variance so it
    /// can stand in for a standard normal with fatter tails; `nu` > 2.
    pub fn student_t_unit(&mut self, nu: f64) -> f64 {
        let z = self.normal();
        let chi2 = 2.0 * self.gamma(nu / 2.0);
        z / (chi2 / nu).sqrt() * ((nu - 2.0) / nu).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
        (m, v)
    }

    #[test]
    fn xoshiro_matches_the_reference_implementation() {
        // Outputs of the reference C code for the state {1, 2, 3, 4}.
        let mut r = Rng::from_state([1, 2, 3, 4]);
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, vec![11520, 0, 1509978240, 1215971899390074240]);
    }

    #[test]
    fn splitmix_mixer_matches_the_reference() {
        // First SplitMix64 output for seed 0 is mix64(0 + golden gamma).
        assert_eq!(mix64(GOLDEN_GAMMA), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn same_seed_same_sequence_and_streams_differ() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(42, 0);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(42, 0);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(42, 1);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn uniform_stays_open_and_normal_t_have_unit_variance() {
        let mut r = Rng::new(7, 0);
        let u: Vec<f64> = (0..100_000).map(|_| r.uniform()).collect();
        assert!(u.iter().all(|&x| x > 0.0 && x < 1.0));
        let (m, v) = moments(&u);
        assert!((m - 0.5).abs() < 0.01 && (v - 1.0 / 12.0).abs() < 0.002);

        let z: Vec<f64> = (0..100_000).map(|_| r.normal()).collect();
        let (m, v) = moments(&z);
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.02, "{m} {v}");

        // Variance of a t with few degrees of freedom converges slowly; nu = 6 is tame.
        let t: Vec<f64> = (0..100_000).map(|_| r.student_t_unit(6.0)).collect();
        let (m, v) = moments(&t);
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.05, "{m} {v}");
    }

    #[test]
    fn gamma_and_exponential_means() {
        let mut r = Rng::new(9, 3);
        for shape in [0.5, 1.0, 2.5] {
            let g: Vec<f64> = (0..50_000).map(|_| r.gamma(shape)).collect();
            let (m, v) = moments(&g);
            assert!((m - shape).abs() < 0.03 * shape.max(1.0), "{shape}: {m}");
            assert!((v - shape).abs() < 0.1 * shape.max(1.0), "{shape}: {v}");
        }
        let e: Vec<f64> = (0..50_000).map(|_| r.exponential()).collect();
        assert!((moments(&e).0 - 1.0).abs() < 0.02);
    }
}
