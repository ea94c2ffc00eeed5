//! Execution metrics of one function over a time window: counts, errors and duration
//! percentiles, overall and per time bucket.
//!
//! A store counts its executions grouped by (bucket, status, duration) — an aggregate
//! query, not a page of rows — and hands the groups to [`ExecutionMetrics::from_groups`],
//! which does the arithmetic the same way for every backend.

use serde::{Deserialize, Serialize};

use crate::model::{ExecutionStatus, Timestamp};

/// The span a metrics query covers, as the API spells it (`1h`, `24h`, `7d`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MetricsWindow {
    /// The last hour, in 60 one-minute buckets.
    #[serde(rename = "1h")]
    Hour,
    /// The last day, in 48 half-hour buckets.
    #[default]
    #[serde(rename = "24h")]
    Day,
    /// The last week, in 84 two-hour buckets.
    #[serde(rename = "7d")]
    Week,
}

impl MetricsWindow {
    /// Every window, shortest first.
    pub const ALL: [Self; 3] = [Self::Hour, Self::Day, Self::Week];

    /// Parses the API spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// The API spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::Week => "7d",
        }
    }

    /// Seconds one bucket spans.
    #[must_use]
    pub fn bucket_seconds(self) -> i64 {
        match self {
            Self::Hour => 60,
            Self::Day => 1_800,
            Self::Week => 7_200,
        }
    }

    /// How many buckets the window holds.
    #[must_use]
    pub fn bucket_count(self) -> i64 {
        match self {
            Self::Hour => 60,
            Self::Day => 48,
            Self::Week => 84,
        }
    }

    /// The range ending with the bucket that holds `now`. Buckets start at multiples of
    /// their size (Unix time), so a chart does not shift between two reads in one bucket.
    #[must_use]
    pub fn range(self, now: Timestamp) -> MetricsRange {
        let bucket_seconds = self.bucket_seconds();
        let until = now.div_euclid(bucket_seconds) * bucket_seconds + bucket_seconds;
        MetricsRange {
            window: self,
            since: until - bucket_seconds * self.bucket_count(),
            until,
            bucket_seconds,
        }
    }
}

/// The executions a metrics query counts: `since <= created_at < until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsRange {
    /// The window this range was made for.
    pub window: MetricsWindow,
    /// First second counted.
    pub since: Timestamp,
    /// First second not counted.
    pub until: Timestamp,
    /// Seconds one bucket spans.
    pub bucket_seconds: i64,
}

impl MetricsRange {
    /// The bucket index of an execution created at `created_at`, `None` outside the range.
    #[must_use]
    pub fn bucket_of(&self, created_at: Timestamp) -> Option<i64> {
        (self.since..self.until)
            .contains(&created_at)
            .then(|| (created_at - self.since) / self.bucket_seconds)
    }
}

/// Executions of one bucket that share a status and a duration, and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsGroup {
    /// Bucket index (`(created_at - since) / bucket_seconds`).
    pub bucket: i64,
    /// Their status.
    pub status: ExecutionStatus,
    /// Their duration; `None` while pending.
    pub duration_ms: Option<i64>,
    /// How many executions the group holds.
    pub count: u64,
}

/// One bucket of [`ExecutionMetrics`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsBucket {
    /// Unix second the bucket starts at.
    pub start: Timestamp,
    /// Executions created in the bucket.
    pub count: u64,
    /// Of those, how many ended with an error.
    pub errors: u64,
    /// Median duration of its finished executions.
    pub p50_ms: Option<i64>,
    /// 95th percentile duration of its finished executions.
    pub p95_ms: Option<i64>,
}

/// A function's executions over a window (`GET /api/functions/{id}/metrics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionMetrics {
    /// The window asked for.
    pub window: MetricsWindow,
    /// Seconds one bucket spans.
    pub bucket_seconds: i64,
    /// First second counted.
    pub since: Timestamp,
    /// First second not counted.
    pub until: Timestamp,
    /// Executions created in the window, pending ones included.
    pub total: u64,
    /// Of those, how many ended with an error.
    pub errors: u64,
    /// `errors / total` (0 without executions).
    pub error_rate: f64,
    /// Median duration of the finished executions.
    pub p50_ms: Option<i64>,
    /// 95th percentile duration of the finished executions.
    pub p95_ms: Option<i64>,
    /// Every bucket of the window, oldest first, empty ones included.
    pub buckets: Vec<MetricsBucket>,
}

/// Counts and a duration histogram of one set of executions.
#[derive(Debug, Default)]
struct Tally {
    count: u64,
    errors: u64,
    durations: Vec<(i64, u64)>,
}

impl Tally {
    fn add(&mut self, g: &MetricsGroup) {
        self.count += g.count;
        if g.status == ExecutionStatus::Error {
            self.errors += g.count;
        }
        if let Some(d) = g.duration_ms {
            self.durations.push((d, g.count));
        }
    }

    /// Nearest-rank percentiles (p50, p95) of the durations.
    fn percentiles(&mut self) -> (Option<i64>, Option<i64>) {
        self.durations.sort_unstable();
        let n: u64 = self.durations.iter().map(|(_, c)| c).sum();
        (
            nearest_rank(&self.durations, n, 50),
            nearest_rank(&self.durations, n, 95),
        )
    }
}

/// The smallest duration with at least `ceil(p% of n)` durations at or below it.
fn nearest_rank(sorted: &[(i64, u64)], n: u64, p: u64) -> Option<i64> {
    if n == 0 {
        return None;
    }
    let rank = (n * p).div_ceil(100).max(1);
    let mut seen = 0;
    sorted.iter().find_map(|&(d, c)| {
        seen += c;
        (seen >= rank).then_some(d)
    })
}

impl ExecutionMetrics {
    /// Aggregates a store's groups over `range`; groups outside it are ignored.
    #[must_use]
    pub fn from_groups(
        range: MetricsRange,
        groups: impl IntoIterator<Item = MetricsGroup>,
    ) -> Self {
        let buckets = usize::try_from(range.window.bucket_count()).unwrap_or(0);
        let mut all = Tally::default();
        let mut per: Vec<Tally> = (0..buckets).map(|_| Tally::default()).collect();
        for g in groups {
            let Some(t) = usize::try_from(g.bucket).ok().and_then(|i| per.get_mut(i)) else {
                continue;
            };
            t.add(&g);
            all.add(&g);
        }
        let (p50_ms, p95_ms) = all.percentiles();
        let buckets = per
            .iter_mut()
            .zip(0_i64..)
            .map(|(t, i)| {
                let (p50_ms, p95_ms) = t.percentiles();
                MetricsBucket {
                    start: range.since + i * range.bucket_seconds,
                    count: t.count,
                    errors: t.errors,
                    p50_ms,
                    p95_ms,
                }
            })
            .collect();
        #[allow(clippy::cast_precision_loss)] // a rate; counts stay far below 2^52
        let error_rate = if all.count == 0 {
            0.0
        } else {
            all.errors as f64 / all.count as f64
        };
        Self {
            window: range.window,
            bucket_seconds: range.bucket_seconds,
            since: range.since,
            until: range.until,
            total: all.count,
            errors: all.errors,
            error_rate,
            p50_ms,
            p95_ms,
            buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(bucket: i64, status: ExecutionStatus, d: Option<i64>, count: u64) -> MetricsGroup {
        MetricsGroup {
            bucket,
            status,
            duration_ms: d,
            count,
        }
    }

    #[test]
    fn windows_parse_and_align() {
        assert_eq!(MetricsWindow::parse("1h"), Some(MetricsWindow::Hour));
        assert_eq!(MetricsWindow::parse("24h"), Some(MetricsWindow::Day));
        assert_eq!(MetricsWindow::parse("7d"), Some(MetricsWindow::Week));
        assert_eq!(MetricsWindow::parse("1d"), None);
        let r = MetricsWindow::Hour.range(1_000_030);
        assert_eq!(r.until, 1_000_080);
        assert_eq!(r.since, 1_000_080 - 3_600);
        assert_eq!(r.bucket_of(1_000_030), Some(59));
        assert_eq!(r.bucket_of(r.since), Some(0));
        assert_eq!(r.bucket_of(r.since - 1), None);
        assert_eq!(r.bucket_of(r.until), None);
        let w = MetricsWindow::Week.range(1_000_000);
        assert_eq!(w.until - w.since, 7 * 86_400);
        assert_eq!(w.since % 7_200, 0);
    }

    #[test]
    fn aggregates_counts_errors_and_percentiles() {
        use ExecutionStatus::{Error, Pending, Success};
        let r = MetricsWindow::Hour.range(10_000);
        let m = ExecutionMetrics::from_groups(
            r,
            [
                group(0, Success, Some(5), 1),
                group(59, Pending, None, 2),
                group(59, Error, Some(300), 1),
                group(59, Success, Some(10), 3),
                group(60, Success, Some(1), 7), // outside the window: ignored
            ]
            .into_iter()
            // Bucket 1: durations 1..=100 ms, one each; 10 of them errors.
            .chain((1..=100).map(|d| group(1, if d <= 10 { Error } else { Success }, Some(d), 1))),
        );
        assert_eq!(m.window, MetricsWindow::Hour);
        assert_eq!(m.buckets.len(), 60);
        assert_eq!(m.total, 1 + 2 + 1 + 3 + 100);
        assert_eq!(m.errors, 11);
        assert!((m.error_rate - 11.0 / 107.0).abs() < 1e-12);
        let b1 = &m.buckets[1];
        assert_eq!((b1.count, b1.errors), (100, 10));
        assert_eq!((b1.p50_ms, b1.p95_ms), (Some(50), Some(95)));
        assert_eq!(b1.start, r.since + 60);
        let last = &m.buckets[59];
        assert_eq!((last.count, last.errors), (6, 1));
        // Four finished: 10, 10, 10, 300.
        assert_eq!((last.p50_ms, last.p95_ms), (Some(10), Some(300)));
        assert_eq!(m.buckets[2].count, 0);
        assert_eq!(m.buckets[2].p50_ms, None);
        // Overall: 105 finished durations.
        assert_eq!(m.p50_ms, Some(49));
        assert_eq!(m.p95_ms, Some(96));
    }

    #[test]
    fn empty_window() {
        let m = ExecutionMetrics::from_groups(MetricsWindow::Day.range(0), []);
        assert_eq!((m.total, m.errors, m.error_rate), (0, 0, 0.0));
        assert_eq!((m.p50_ms, m.p95_ms), (None, None));
        assert_eq!(m.buckets.len(), 48);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["window"], "24h");
        assert_eq!(json["p50_ms"], serde_json::Value::Null);
    }
}
