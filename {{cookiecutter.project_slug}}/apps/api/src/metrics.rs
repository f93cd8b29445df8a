//! Prometheus metrics for Fly's scraper (`[metrics]` in fly.toml), served on `METRICS_PORT`:
//! a listener of its own, so `/metrics` is never reachable through the API's port; and `track`,
//! the middleware that records each request's count, latency and time in flight.
//!
//! The names below are the only ones the code records; the dashboard in docs/grafana/ and the
//! tests read them from here. Every label takes few values: `route` is the route pattern
//! (`/api/posts/{id}`) or `unmatched`, never a raw path.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::config::ConnectionLimits;
use crate::server;

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "http_request_duration_seconds";
pub const HTTP_REQUESTS_IN_FLIGHT: &str = "http_requests_in_flight";
pub const RATE_LIMIT_REJECTIONS: &str = "rate_limit_rejections_total";
pub const DB_QUERY_DURATION: &str = "db_query_duration_seconds";
pub const DB_QUERY_ERRORS: &str = "db_query_errors_total";
pub const DB_POOL_CONNECTIONS: &str = "db_pool_connections";
pub const DB_POOL_MAX_CONNECTIONS: &str = "db_pool_max_connections";
pub const FLY_REPLAYS: &str = "fly_replays_total";
/// Feature `accounts`: every Argon2 check, an unknown address's (against a dummy hash) too.
pub const PASSWORD_VERIFICATIONS: &str = "password_verifications_total";
pub const PASSWORD_HASHING_DURATION: &str = "password_hashing_duration_seconds";
pub const TOKIO_WORKERS: &str = "tokio_workers";
pub const TOKIO_ALIVE_TASKS: &str = "tokio_alive_tasks";
pub const TOKIO_GLOBAL_QUEUE_DEPTH: &str = "tokio_global_queue_depth";
pub const TOKIO_BUSY: &str = "tokio_worker_busy_seconds";
/// Written by `metrics_process` at each scrape; the dashboard reads these two of its series.
pub const PROCESS_RESIDENT_MEMORY: &str = "process_resident_memory_bytes";
pub const PROCESS_CPU: &str = "process_cpu_seconds_total";

/// Latency buckets (seconds) of every `_seconds` histogram: 5 ms to 10 s, as prom-client's.
const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Histogram samples are folded into buckets at each scrape; without a scrape (off Fly) this
/// bounds the memory they hold.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Connections the metrics server keeps open at once: Fly's scraper needs one.
const MAX_SCRAPE_CONNECTIONS: usize = 8;

/// Work done just before each scrape: gauges read from their source (pool sizes, the runtime).
pub type OnScrape = Arc<dyn Fn() + Send + Sync>;

/// Installs the process-wide recorder the `metrics` macros write to.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &LATENCY_BUCKETS)?
        .install_recorder()?;
    describe();
    Ok(handle)
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by method, route pattern and status"
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Time to answer a request, by method, route pattern and status"
    );
    describe_gauge!(HTTP_REQUESTS_IN_FLIGHT, "Requests being answered now");
    describe_counter!(
        RATE_LIMIT_REJECTIONS,
        "Requests refused by a limit: per_client (429) or in_flight (503)"
    );
    describe_histogram!(
        DB_QUERY_DURATION,
        Unit::Seconds,
        "Database queries, by operation and pool (primary or replica)"
    );
    describe_counter!(
        DB_QUERY_ERRORS,
        "Failed database queries, by operation, pool and kind (read_only or other)"
    );
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Open database connections, by pool and state (idle or in_use)"
    );
    describe_gauge!(DB_POOL_MAX_CONNECTIONS, "Pool size limit, by pool");
    describe_counter!(
        FLY_REPLAYS,
        "Writes answered with fly-replay to the primary region, by reason (region or read_only)"
    );
    describe_counter!(
        PASSWORD_VERIFICATIONS,
        "Argon2 password verifications, an unknown address's (against a dummy hash) included"
    );
    describe_histogram!(
        PASSWORD_HASHING_DURATION,
        Unit::Seconds,
        "Time of one Argon2 computation off the runtime, by operation (hash or verify)"
    );
    describe_gauge!(TOKIO_WORKERS, "Tokio worker threads");
    describe_gauge!(TOKIO_ALIVE_TASKS, "Tokio tasks not yet finished");
    describe_gauge!(
        TOKIO_GLOBAL_QUEUE_DEPTH,
        "Tasks waiting in Tokio's global queue"
    );
    describe_gauge!(
        TOKIO_BUSY,
        Unit::Seconds,
        "Time Tokio's workers spent running tasks since start, summed over workers (use rate())"
    );
}

/// Binds `listen` now (a taken port stops the start) and serves `GET /metrics` in the background.
pub async fn serve(
    listen: SocketAddr,
    handle: PrometheusHandle,
    on_scrape: Vec<OnScrape>,
    limits: &ConnectionLimits,
) -> io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, "metrics listening");

    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });

    let process = Arc::new(metrics_process::Collector::default());
    process.describe();
    let render = move || {
        process.collect();
        record_runtime();
        for hook in &on_scrape {
            hook();
        }
        let content_type = "text/plain; version=0.0.4; charset=utf-8";
        ([(header::CONTENT_TYPE, content_type)], handle.render()).into_response()
    };
    let app = Router::new().route("/metrics", get(move || std::future::ready(render())));
    // The API's timeouts, and room for a few scrapers only.
    let limits = ConnectionLimits {
        max_connections: MAX_SCRAPE_CONNECTIONS,
        ..limits.clone()
    };
    server::spawn(listener, app, &limits);
    Ok(())
}

/// Tokio's stable runtime metrics: cheap reads of counters the runtime keeps anyway.
fn record_runtime() {
    let runtime = tokio::runtime::Handle::current().metrics();
    let workers = runtime.num_workers();
    gauge!(TOKIO_WORKERS).set(workers as f64);
    gauge!(TOKIO_ALIVE_TASKS).set(runtime.num_alive_tasks() as f64);
    gauge!(TOKIO_GLOBAL_QUEUE_DEPTH).set(runtime.global_queue_depth() as f64);
    let busy: Duration = (0..workers)
        .map(|worker| runtime.worker_total_busy_duration(worker))
        .sum();
    gauge!(TOKIO_BUSY).set(busy.as_secs_f64());
}

/// The `route` of requests no route matched (404s): one label value for every unknown path.
pub const UNMATCHED: &str = "unmatched";

/// Applied with `Router::layer`, so it runs after routing and sees the matched route pattern.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let _in_flight = InFlight::enter();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_REQUEST_DURATION, &labels).record(started.elapsed());
    response
}

/// HTTP allows any token as a method: only the standard ones become label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a request in flight until dropped, also when the client goes away mid-request.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        gauge!(HTTP_REQUESTS_IN_FLIGHT).increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        gauge!(HTTP_REQUESTS_IN_FLIGHT).decrement(1.0);
    }
}
