//! Process-wide Prometheus metrics, rendered as text at `GET /metrics`: executions finished by
//! status and job type, scheduling lag (due -> running), plugin call durations, calendars
//! served kept or computed, and gauges read at scrape time (queue depth, running executions).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

/// Upper bounds in seconds, shared by every histogram here.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0,
];

struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Sum in microseconds, to stay an integer.
    sum_us: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }

    fn observe(&self, seconds: f64) {
        let s = seconds.max(0.0);
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                self.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add((s * 1e6) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}",
                self.counts[i].load(Ordering::Relaxed)
            );
        }
        let n = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {n}");
        let wrap = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(
            out,
            "{name}_sum{wrap} {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count{wrap} {n}");
    }
}

#[derive(Default)]
struct Registry {
    executions: BTreeMap<(String, &'static str), u64>,
    plugin_calls: BTreeMap<(String, &'static str), Histogram>,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(Registry::default()));
static LAG: LazyLock<Histogram> = LazyLock::new(Histogram::new);
/// Calendar responses served from a kept copy, and computed.
static CALENDARS_KEPT: AtomicU64 = AtomicU64::new(0);
static CALENDARS_COMPUTED: AtomicU64 = AtomicU64::new(0);

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// An execution reached a final status.
pub fn execution_finished(job_type: &str, status: &'static str) {
    *registry()
        .executions
        .entry((job_type.to_string(), status))
        .or_default() += 1;
}

/// Time from an execution's `scheduled_for` to its start.
pub fn scheduling_lag(seconds: f64) {
    LAG.observe(seconds);
}

/// One plugin call (`validate` or `run`) took `seconds`.
pub fn plugin_call(job_type: &str, call: &'static str, seconds: f64) {
    registry()
        .plugin_calls
        .entry((job_type.to_string(), call))
        .or_insert_with(Histogram::new)
        .observe(seconds);
}

/// A calendar was answered, from a kept copy (`kept`) or computed from the store.
pub fn calendar_served(kept: bool) {
    let n = if kept {
        &CALENDARS_KEPT
    } else {
        &CALENDARS_COMPUTED
    };
    n.fetch_add(1, Ordering::Relaxed);
}

/// Gauges the caller reads at scrape time.
pub struct Gauges {
    pub queue_depth: usize,
    pub running: usize,
}

pub fn render(g: &Gauges) -> String {
    let mut out = String::new();
    let r = registry();
    out.push_str("# HELP sgsched_executions_total Executions that reached a final status.\n");
    out.push_str("# TYPE sgsched_executions_total counter\n");
    for ((job_type, status), n) in &r.executions {
        let _ = writeln!(
            out,
            "sgsched_executions_total{{job_type=\"{job_type}\",status=\"{status}\"}} {n}"
        );
    }
    out.push_str("# HELP sgsched_queue_depth Pending executions waiting for a slot.\n# TYPE sgsched_queue_depth gauge\n");
    let _ = writeln!(out, "sgsched_queue_depth {}", g.queue_depth);
    out.push_str("# HELP sgsched_running_executions Executions running now.\n# TYPE sgsched_running_executions gauge\n");
    let _ = writeln!(out, "sgsched_running_executions {}", g.running);
    out.push_str("# HELP sgsched_scheduling_lag_seconds From scheduled_for to running.\n");
    out.push_str("# TYPE sgsched_scheduling_lag_seconds histogram\n");
    LAG.render(&mut out, "sgsched_scheduling_lag_seconds", "");
    out.push_str("# HELP sgsched_calendar_responses_total Calendars answered, by whether a kept copy (valid until the user's data changes) served them.\n");
    out.push_str("# TYPE sgsched_calendar_responses_total counter\n");
    for (served, n) in [("kept", &CALENDARS_KEPT), ("computed", &CALENDARS_COMPUTED)] {
        let _ = writeln!(
            out,
            "sgsched_calendar_responses_total{{served=\"{served}\"}} {}",
            n.load(Ordering::Relaxed)
        );
    }
    out.push_str(
        "# HELP sgsched_plugin_call_duration_seconds Plugin calls, instantiation included.\n",
    );
    out.push_str("# TYPE sgsched_plugin_call_duration_seconds histogram\n");
    for ((job_type, call), h) in &r.plugin_calls {
        h.render(
            &mut out,
            "sgsched_plugin_call_duration_seconds",
            &format!("job_type=\"{job_type}\",call=\"{call}\""),
        );
    }
    out
}
