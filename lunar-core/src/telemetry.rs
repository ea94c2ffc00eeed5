//! An engine's counters and histograms, rendered in the Prometheus text exposition format
//! by [`Engine::prometheus_text`](crate::Engine::prometheus_text): executions by function,
//! status and trigger; duration histograms per function; refusals; executions in flight;
//! the runtime's heap; and the store's group-commit batch sizes and latencies.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::model::{ExecutionStatus, Trigger};

/// Upper bounds (seconds) of the execution duration buckets.
const DURATION_BOUNDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Upper bounds of the batch size buckets (writes per group-commit batch).
const BATCH_SIZE_BOUNDS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// Upper bounds (seconds) of the batch commit latency buckets.
const BATCH_SECONDS_BOUNDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// A Prometheus histogram: cumulative on rendering, plain counts when observing.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    /// One count per bound, and one past the last.
    counts: Vec<u64>,
    sum: f64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
        }
    }

    fn observe(&mut self, v: f64) {
        let i = self.bounds.partition_point(|b| *b < v);
        self.counts[i] += 1;
        self.sum += v;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(&self.counts) {
            cumulative += n;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.counts.last().copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

/// One function's executions.
#[derive(Debug)]
struct FunctionStats {
    /// Counts by (status, trigger).
    by_outcome: BTreeMap<(&'static str, &'static str), u64>,
    duration: Histogram,
    /// CPU time charged to its executions, in µs.
    cpu_us: u64,
}

/// Why an execution was refused or not recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// Past the engine's `max_in_flight`.
    Overloaded,
    /// Past the function's `max_concurrency`.
    ConcurrencyLimit,
    /// The store failed.
    Store,
    /// A new execution would have waited for the runtime's workers past the engine's
    /// `max_queue_delay`.
    QueueDelay,
}

impl Refusal {
    const ALL: [Self; 4] = [
        Self::Overloaded,
        Self::ConcurrencyLimit,
        Self::Store,
        Self::QueueDelay,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Overloaded => "overloaded",
            Self::ConcurrencyLimit => "concurrency_limit",
            Self::Store => "store_unavailable",
            Self::QueueDelay => "queue_delay",
        }
    }
}

/// The engine's instruments.
#[derive(Debug)]
pub(crate) struct Telemetry {
    functions: Mutex<BTreeMap<String, FunctionStats>>,
    refused: [AtomicU64; 4],
    batches: Mutex<(Histogram, Histogram)>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            functions: Mutex::default(),
            refused: Default::default(),
            batches: Mutex::new((
                Histogram::new(BATCH_SIZE_BOUNDS),
                Histogram::new(BATCH_SECONDS_BOUNDS),
            )),
        }
    }
}

/// What the engine adds to the rendering at the time of a scrape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gauges {
    pub(crate) in_flight: usize,
    pub(crate) heap_used_bytes: Option<u64>,
    pub(crate) queue_delay: Option<Duration>,
    pub(crate) awaiting_store: usize,
}

impl Telemetry {
    /// Counts a recorded execution.
    pub(crate) fn execution(
        &self,
        function_id: &str,
        status: ExecutionStatus,
        trigger: Trigger,
        took: Duration,
        cpu_us: u64,
    ) {
        let mut all = self
            .functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Looked up first: the id is copied only for a function's first execution.
        if !all.contains_key(function_id) {
            all.insert(
                function_id.to_owned(),
                FunctionStats {
                    by_outcome: BTreeMap::new(),
                    duration: Histogram::new(DURATION_BOUNDS),
                    cpu_us: 0,
                },
            );
        }
        let Some(f) = all.get_mut(function_id) else {
            return;
        };
        *f.by_outcome
            .entry((status.as_str(), trigger.as_str()))
            .or_insert(0) += 1;
        f.duration.observe(took.as_secs_f64());
        f.cpu_us = f.cpu_us.saturating_add(cpu_us);
    }

    /// Counts a refusal.
    pub(crate) fn refused(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a group-commit batch of `writes` that took `took` to commit.
    pub(crate) fn batch(&self, writes: usize, took: Duration) {
        let mut b = self.batches.lock().unwrap_or_else(PoisonError::into_inner);
        #[allow(clippy::cast_precision_loss)]
        b.0.observe(writes as f64);
        b.1.observe(took.as_secs_f64());
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub(crate) fn render(&self, gauges: Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let functions = self
            .functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        out.push_str(
            "# HELP lunar_executions_total Executions recorded, by function, status and trigger.\n\
             # TYPE lunar_executions_total counter\n",
        );
        for (id, f) in functions.iter() {
            for ((status, trigger), n) in &f.by_outcome {
                let _ = writeln!(
                    out,
                    "lunar_executions_total{{function_id=\"{id}\",status=\"{status}\",trigger=\"{trigger}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP lunar_execution_duration_seconds Duration of recorded executions, by function.\n\
             # TYPE lunar_execution_duration_seconds histogram\n",
        );
        for (id, f) in functions.iter() {
            f.duration.render(
                &mut out,
                "lunar_execution_duration_seconds",
                &format!("function_id=\"{id}\""),
            );
        }
        out.push_str(
            "# HELP lunar_execution_cpu_seconds_total CPU time the runtime spent on recorded executions, by function.\n\
             # TYPE lunar_execution_cpu_seconds_total counter\n",
        );
        for (id, f) in functions.iter() {
            #[allow(clippy::cast_precision_loss)]
            let seconds = f.cpu_us as f64 / 1e6;
            let _ = writeln!(
                out,
                "lunar_execution_cpu_seconds_total{{function_id=\"{id}\"}} {seconds}"
            );
        }
        drop(functions);
        out.push_str(
            "# HELP lunar_executions_refused_total Calls refused before anything ran, or whose execution could not be recorded.\n\
             # TYPE lunar_executions_refused_total counter\n",
        );
        for why in Refusal::ALL {
            let _ = writeln!(
                out,
                "lunar_executions_refused_total{{reason=\"{}\"}} {}",
                why.label(),
                self.refused[why as usize].load(Ordering::Relaxed)
            );
        }
        let _ = write!(
            out,
            "# HELP lunar_executions_in_flight Executions running or waiting for the runtime or their write.\n\
             # TYPE lunar_executions_in_flight gauge\n\
             lunar_executions_in_flight {}\n",
            gauges.in_flight
        );
        let _ = write!(
            out,
            "# HELP lunar_executions_awaiting_store Outcomes of executions answered 503 that wait for the store to take writes again, to be recorded on their rows (a row may not exist).\n\
             # TYPE lunar_executions_awaiting_store gauge\n\
             lunar_executions_awaiting_store {}\n",
            gauges.awaiting_store
        );
        if let Some(heap) = gauges.heap_used_bytes {
            let _ = write!(
                out,
                "# HELP lunar_runtime_heap_used_bytes Heap in use by the runtime's isolates.\n\
                 # TYPE lunar_runtime_heap_used_bytes gauge\n\
                 lunar_runtime_heap_used_bytes {heap}\n"
            );
        }
        if let Some(delay) = gauges.queue_delay {
            let _ = write!(
                out,
                "# HELP lunar_runtime_queue_delay_seconds How long a new execution would wait for a runtime worker.\n\
                 # TYPE lunar_runtime_queue_delay_seconds gauge\n\
                 lunar_runtime_queue_delay_seconds {}\n",
                delay.as_secs_f64()
            );
        }
        let b = self.batches.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str(
            "# HELP lunar_store_batch_writes Execution writes per group-commit batch.\n\
             # TYPE lunar_store_batch_writes histogram\n",
        );
        b.0.render(&mut out, "lunar_store_batch_writes", "");
        out.push_str(
            "# HELP lunar_store_batch_seconds Time to commit one group-commit batch.\n\
             # TYPE lunar_store_batch_seconds histogram\n",
        );
        b.1.render(&mut out, "lunar_store_batch_seconds", "");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::new(&[1.0, 2.0]);
        for v in [0.5, 1.0, 1.5, 3.0] {
            h.observe(v);
        }
        let mut out = String::new();
        h.render(&mut out, "x", "a=\"b\"");
        assert_eq!(
            out,
            "x_bucket{a=\"b\",le=\"1\"} 2\nx_bucket{a=\"b\",le=\"2\"} 3\n\
             x_bucket{a=\"b\",le=\"+Inf\"} 4\nx_sum{a=\"b\"} 6\nx_count{a=\"b\"} 4\n"
        );
    }
}
