//! JSON logs on stdout, one object per line, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

pub fn init(filter: &str) {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new(filter))
        .with_current_span(true)
        .with_span_list(false)
        .init();
}
