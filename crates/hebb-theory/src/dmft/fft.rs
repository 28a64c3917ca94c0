//! A small in-place radix-2 complex FFT (power-of-two lengths), used for
//! circulant-embedding draws of the Gaussian field and for autocorrelations
//! (spec `clark.md` §3.6, §10.5). Written here so that the crate needs no FFT
//! dependency; the operation order is fixed, so results are reproducible bit
//! for bit.

/// Precomputed twiddles and bit-reversal permutation for one length.
#[derive(Debug, Clone)]
pub(crate) struct Fft {
    n: usize,
    /// cos and sin of −2π j / n for j < n/2 (forward transform).
    cos: Vec<f64>,
    sin: Vec<f64>,
    rev: Vec<u32>,
}

impl Fft {
    /// A plan for length `n`, a power of two ≥ 2.
    pub(crate) fn new(n: usize) -> Self {
        assert!(n.is_power_of_two() && n >= 2, "FFT length must be a power of two >= 2");
        let bits = n.trailing_zeros();
        let rev = (0..n as u32).map(|i| i.reverse_bits() >> (32 - bits)).collect();
        let (cos, sin) = (0..n / 2)
            .map(|j| {
                let a = -2.0 * std::f64::consts::PI * j as f64 / n as f64;
                (a.cos(), a.sin())
            })
            .unzip();
        Self { n, cos, sin, rev }
    }

    /// In place: forward (X_k = Σ x_j e^(−2πi jk/n)) if `inverse` is false,
    /// otherwise the unnormalised inverse (Σ X_k e^(+2πi jk/n)).
    pub(crate) fn run(&self, re: &mut [f64], im: &mut [f64], inverse: bool) {
        let n = self.n;
        assert!(re.len() == n && im.len() == n);
        for i in 0..n {
            let j = self.rev[i] as usize;
            if j > i {
                re.swap(i, j);
                im.swap(i, j);
            }
        }
        let sgn = if inverse { -1.0 } else { 1.0 };
        let mut half = 1;
        while half < n {
            let step = n / (2 * half);
            for start in (0..n).step_by(2 * half) {
                for j in 0..half {
                    let (c, s) = (self.cos[j * step], sgn * self.sin[j * step]);
                    let (a, b) = (start + j, start + j + half);
                    let tr = re[b] * c - im[b] * s;
                    let ti = re[b] * s + im[b] * c;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
            half *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_direct_dft_and_inverts() {
        let n = 64;
        let f = Fft::new(n);
        let x: Vec<f64> = (0..n).map(|i| ((i * 7 % 13) as f64 - 6.0) / 3.0).collect();
        let y: Vec<f64> = (0..n).map(|i| ((i * 5 % 11) as f64 - 5.0) / 4.0).collect();
        let (mut re, mut im) = (x.clone(), y.clone());
        f.run(&mut re, &mut im, false);
        for k in 0..n {
            let (mut sr, mut si) = (0.0, 0.0);
            for j in 0..n {
                let a = -2.0 * std::f64::consts::PI * (j * k) as f64 / n as f64;
                sr += x[j] * a.cos() - y[j] * a.sin();
                si += x[j] * a.sin() + y[j] * a.cos();
            }
            assert!((sr - re[k]).abs() < 1e-12 && (si - im[k]).abs() < 1e-12, "k = {k}");
        }
        f.run(&mut re, &mut im, true);
        for j in 0..n {
            assert!((re[j] / n as f64 - x[j]).abs() < 1e-14 && (im[j] / n as f64 - y[j]).abs() < 1e-14);
        }
    }
}
