//! Process-wide Prometheus metrics, exposed at `GET /metrics` in the OpenMetrics text format
//! by `prometheus-client`: executions finished by status and job type, scheduling lag (due ->
//! running), plugin call durations, calendars served kept or computed, and gauges set at scrape
//! time (queue depth, running executions). The names are the ones dashboards already use.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds in seconds, shared by every histogram here.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0,
];

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExecutionLabels {
    job_type: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginCallLabels {
    job_type: String,
    call: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServedLabels {
    served: &'static str,
}

struct Metrics {
    registry: Registry,
    executions: Family<ExecutionLabels, Counter>,
    plugin_calls: Family<PluginCallLabels, Histogram, fn() -> Histogram>,
    lag: Histogram,
    calendars: Family<ServedLabels, Counter>,
    queue_depth: Gauge,
    running: Gauge,
    reloads: Counter,
    refused_plugins: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::default();
    // Counters are registered without their `_total`, which the encoder adds.
    let executions = Family::<ExecutionLabels, Counter>::default();
    registry.register(
        "sgsched_executions",
        "Executions that reached a final status",
        executions.clone(),
    );
    let queue_depth = Gauge::default();
    registry.register(
        "sgsched_queue_depth",
        "Pending executions waiting for a slot",
        queue_depth.clone(),
    );
    let running = Gauge::default();
    registry.register(
        "sgsched_running_executions",
        "Executions running now",
        running.clone(),
    );
    let lag = histogram();
    registry.register(
        "sgsched_scheduling_lag_seconds",
        "From scheduled_for to running",
        lag.clone(),
    );
    let calendars = Family::<ServedLabels, Counter>::default();
    // Both series exist from the start, so a rate over them is defined before the first hit.
    for served in ["kept", "computed"] {
        let _ = calendars.get_or_create(&ServedLabels { served });
    }
    registry.register(
        "sgsched_calendar_responses",
        "Calendars answered, by whether a kept copy (valid until the user's data changes) served them",
        calendars.clone(),
    );
    let plugin_calls = Family::new_with_constructor(histogram as fn() -> Histogram);
    registry.register(
        "sgsched_plugin_call_duration_seconds",
        "Plugin calls, instantiation included",
        plugin_calls.clone(),
    );
    let reloads = Counter::default();
    registry.register(
        "sgsched_plugin_reloads",
        "Rescans of the plugins dir (SIGHUP or a changed file)",
        reloads.clone(),
    );
    let refused_plugins = Gauge::default();
    registry.register(
        "sgsched_plugins_refused",
        "Plugins-dir files not loaded, or not at their latest version, after the last rescan",
        refused_plugins.clone(),
    );
    Metrics {
        registry,
        executions,
        plugin_calls,
        lag,
        calendars,
        queue_depth,
        running,
        reloads,
        refused_plugins,
    }
});

/// An execution reached a final status.
pub fn execution_finished(job_type: &str, status: &'static str) {
    METRICS
        .executions
        .get_or_create(&ExecutionLabels {
            job_type: job_type.to_string(),
            status,
        })
        .inc();
}

/// Time from an execution's `scheduled_for` to its start.
pub fn scheduling_lag(seconds: f64) {
    METRICS.lag.observe(seconds.max(0.0));
}

/// One plugin call (`validate` or `run`) took `seconds`.
pub fn plugin_call(job_type: &str, call: &'static str, seconds: f64) {
    METRICS
        .plugin_calls
        .get_or_create(&PluginCallLabels {
            job_type: job_type.to_string(),
            call,
        })
        .observe(seconds.max(0.0));
}

/// A calendar was answered, from a kept copy (`kept`) or computed from the store.
pub fn calendar_served(kept: bool) {
    let served = if kept { "kept" } else { "computed" };
    METRICS
        .calendars
        .get_or_create(&ServedLabels { served })
        .inc();
}

/// The plugins dir was rescanned; `refused` files are not loaded (or not at their latest).
pub fn plugins_reloaded(refused: usize) {
    METRICS.reloads.inc();
    METRICS
        .refused_plugins
        .set(i64::try_from(refused).unwrap_or(i64::MAX));
}

/// Gauges the caller reads at scrape time.
pub struct Gauges {
    pub queue_depth: usize,
    pub running: usize,
}

/// The exposition, with the gauges set to `g` first.
pub fn render(g: &Gauges) -> String {
    let m = &*METRICS;
    m.queue_depth
        .set(i64::try_from(g.queue_depth).unwrap_or(i64::MAX));
    m.running.set(i64::try_from(g.running).unwrap_or(i64::MAX));
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &m.registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_labels_and_counts_as_dashboards_expect() {
        execution_finished("metrics-test", "completed");
        execution_finished("metrics-test", "completed");
        plugin_call("metrics-test", "run", 0.003);
        let text = render(&Gauges {
            queue_depth: 3,
            running: 1,
        });
        for line in [
            "# TYPE sgsched_executions counter",
            "sgsched_executions_total{job_type=\"metrics-test\",status=\"completed\"} 2",
            "sgsched_queue_depth 3",
            "sgsched_running_executions 1",
            "sgsched_calendar_responses_total{served=\"kept\"}",
            "sgsched_plugin_call_duration_seconds_bucket{le=\"0.0025\",job_type=\"metrics-test\",call=\"run\"} 0",
            "sgsched_plugin_call_duration_seconds_bucket{le=\"0.005\",job_type=\"metrics-test\",call=\"run\"} 1",
            "sgsched_plugin_call_duration_seconds_count{job_type=\"metrics-test\",call=\"run\"} 1",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
