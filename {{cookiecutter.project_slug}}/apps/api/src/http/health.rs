//! `/health`: the process answers. `/ready`: it can also reach its data (a database ping).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;

/// Longer than a healthy ping, shorter than the platform's health-check timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `/health`, outside every limit: Fly's checks must get an answer whatever the load.
pub fn liveness() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// `/ready`, rate limited like the API: each call costs a database round trip.
pub fn readiness() -> Router<AppState> {
    Router::new().route("/ready", get(ready))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn ready(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(READY_TIMEOUT, app.repository.check()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "not ready: readiness check timed out");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}
