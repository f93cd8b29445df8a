//! `/health`: the process answers. `/ready`: it can also reach its data (a database ping).
//!
//! `api healthcheck` calls [`check`]: the container image's HEALTHCHECK. The distroless runtime
//! has no shell or curl, so the binary asks its own running server for `/health` over loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// How long `api healthcheck` waits for the answer.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Where to reach a server listening on `listen`: a wildcard address means this host's loopback.
pub fn probe_address(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// `Ok` when `GET /health` answers 200 within a few seconds.
pub async fn check(listen: SocketAddr) -> Result<(), String> {
    let address = probe_address(listen);
    let status_line = tokio::time::timeout(TIMEOUT, fetch_status_line(address))
        .await
        .map_err(|_| format!("no answer from {address} within {TIMEOUT:?}"))?
        .map_err(|error| format!("GET http://{address}/health: {error}"))?;
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!(
            "GET http://{address}/health answered {status_line:?}"
        ))
    }
}

async fn fetch_status_line(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut head = Vec::with_capacity(256);
    let mut buffer = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    Ok(head.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_probed_on_loopback() {
        let v4: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let v6: SocketAddr = "[::]:8080".parse().unwrap();
        let fixed: SocketAddr = "10.1.2.3:9000".parse().unwrap();
        assert_eq!(probe_address(v4), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(probe_address(v6), "[::1]:8080".parse().unwrap());
        assert_eq!(probe_address(fixed), fixed);
    }

    #[tokio::test]
    async fn nothing_listening_is_an_error() {
        let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = unused.local_addr().unwrap();
        drop(unused);
        assert!(check(address).await.is_err());
    }
}
