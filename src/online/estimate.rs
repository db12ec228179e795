//! A copying or rebuilding statement timed at two seeded sizes and extrapolated to the
//! table's production row count with the growth measured between them (`t ∝ rows^k`).

use serde::{Deserialize, Serialize};

/// One timing: the statement on a table holding `rows` rows took `ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub rows: u64,
    pub ms: u64,
}

/// How time grew between the two sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Growth {
    /// Proportional to the rows (or measured below that: a copy visits every row, so less
    /// than linear is noise and is extrapolated as linear).
    Linear,
    /// Faster than the rows (an index rebuilt row by row with a growing tree).
    Superlinear,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// `[production] rows` of the statement's table.
    pub production_rows: u64,
    pub estimate_ms: u64,
    pub samples: Vec<Sample>,
    pub growth: Growth,
    /// The measured exponent k of `t ∝ rows^k` (1.0 is linear).
    pub exponent: f64,
}

impl Eq for Estimate {}

impl Estimate {
    /// Extrapolates from the two samples (smaller first); None without two distinct sizes.
    pub fn extrapolate(production_rows: u64, a: Sample, b: Sample) -> Option<Estimate> {
        let (a, b) = if a.rows <= b.rows { (a, b) } else { (b, a) };
        if a.rows == 0 || a.rows == b.rows {
            return None;
        }
        // A zero timing says only "under a millisecond".
        let (ta, tb) = (a.ms.max(1) as f64, b.ms.max(1) as f64);
        let exponent = (tb / ta).ln() / (b.rows as f64 / a.rows as f64).ln();
        let (growth, used) = if exponent > 1.2 {
            (Growth::Superlinear, exponent.min(2.0))
        } else {
            (Growth::Linear, 1.0)
        };
        let estimate = tb * (production_rows as f64 / b.rows as f64).powf(used);
        Some(Estimate {
            production_rows,
            estimate_ms: estimate.round() as u64,
            samples: vec![a, b],
            growth,
            exponent: (exponent * 100.0).round() / 100.0,
        })
    }
}

/// `3 min 40 s`, `8.8 s`, `1 h 5 min`.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match ms {
        0..=99 => format!("{ms} ms"),
        100..=9_999 => format!("{:.1} s", ms as f64 / 1000.0),
        10_000..=59_999 => format!("{s} s"),
        60_000..=3_599_999 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// `5,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `20k` for round thousands, else grouped.
fn short(n: u64) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        grouped(n)
    }
}

impl std::fmt::Display for Growth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Growth::Linear => "linear",
            Growth::Superlinear => "faster than linear",
        })
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let measured: Vec<String> = self
            .samples
            .iter()
            .map(|s| format!("{} at {}", duration(s.ms), short(s.rows)))
            .collect();
        write!(
            f,
            "≈ {} at {} rows; measured {}, {}",
            duration(self.estimate_ms),
            grouped(self.production_rows),
            measured.join(", "),
            self.growth
        )?;
        if self.growth == Growth::Superlinear {
            write!(f, " (rows^{:.2})", self.exponent)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_timings_extrapolate_linearly_and_say_their_basis() {
        let e = Estimate::extrapolate(
            5_000_000,
            Sample {
                rows: 20_000,
                ms: 900,
            },
            Sample {
                rows: 200_000,
                ms: 8_800,
            },
        )
        .unwrap();
        assert_eq!(e.growth, Growth::Linear);
        assert_eq!(e.estimate_ms, 220_000);
        assert_eq!(
            e.to_string(),
            "≈ 3 min 40 s at 5,000,000 rows; measured 0.9 s at 20k, 8.8 s at 200k, linear"
        );
    }

    #[test]
    fn faster_growth_is_extrapolated_with_its_exponent_and_noise_as_linear() {
        let a = Sample {
            rows: 1_000,
            ms: 10,
        };
        let e = Estimate::extrapolate(
            100_000,
            a,
            Sample {
                rows: 10_000,
                ms: 1_000,
            },
        )
        .unwrap();
        assert_eq!(e.growth, Growth::Superlinear);
        assert_eq!(e.exponent, 2.0);
        assert_eq!(e.estimate_ms, 100_000);
        // Slower at the larger size: noise, not a law.
        let n = Estimate::extrapolate(
            100_000,
            a,
            Sample {
                rows: 10_000,
                ms: 5,
            },
        )
        .unwrap();
        assert_eq!(n.growth, Growth::Linear);
        assert_eq!(n.estimate_ms, 50);
        assert!(Estimate::extrapolate(10, a, a).is_none());
    }

    #[test]
    fn durations_and_counts_read_naturally() {
        assert_eq!(duration(880), "0.9 s");
        assert_eq!(duration(42), "42 ms");
        assert_eq!(duration(42_000), "42 s");
        assert_eq!(duration(3_900_000), "1 h 5 min");
        assert_eq!(grouped(5_000_000), "5,000,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(short(2_500), "2,500");
    }
}
