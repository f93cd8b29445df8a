//! Per-client rate limit (tower_governor) and a global cap on requests in flight (tower).

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::IntoResponse;
use metrics::counter;
use tower::ServiceBuilder;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use super::{ApiError, AppState};
use crate::config::Limits;
use crate::metrics::RATE_LIMIT_REJECTIONS;
use crate::server::PeerAddr;

/// How often clients idle long enough to have a full burst again are forgotten.
const FORGET_IDLE_CLIENTS_EVERY: Duration = Duration::from_secs(60);

/// Who a request counts against: on Fly, the `Fly-Client-IP` its proxy sets; elsewhere the
/// socket peer. Forwarding headers a client can write itself are never read.
#[derive(Debug, Clone, Copy)]
pub struct ClientKey {
    pub on_fly: bool,
}

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        let from_fly = self
            .on_fly
            .then(|| {
                let header = request.headers().get("fly-client-ip")?;
                header.to_str().ok()?.parse().ok()
            })
            .flatten();
        let peer = || {
            request
                .extensions()
                .get::<ConnectInfo<PeerAddr>>()
                .map(|ConnectInfo(PeerAddr(address))| address.ip())
        };
        // A request with no peer (an in-process test call) counts against one "unknown" client.
        Ok(from_fly
            .or_else(peer)
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)))
    }
}

/// `router` behind both limits: 429 with Retry-After past a client's rate, 503 with
/// Retry-After once `max_concurrent_requests` are in flight (refused at once, never queued).
pub fn apply(router: Router<AppState>, limits: &Limits, key: ClientKey) -> Router<AppState> {
    let governor = Arc::new(
        GovernorConfigBuilder::default()
            .key_extractor(key)
            .period(Duration::from_secs(1) / limits.per_client_per_second)
            .burst_size(limits.per_client_burst)
            .finish()
            .expect("rate and burst are positive (checked by config)"),
    );
    // One entry per client address seen: forget those back at a full burst, so many distinct
    // addresses cannot grow the limiter's memory without bound.
    let limiter = governor.limiter().clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FORGET_IDLE_CLIENTS_EVERY);
        loop {
            every.tick().await;
            limiter.retain_recent();
        }
    });
    let rate_limit = GovernorLayer::new(governor).error_handler(|error| {
        counter!(RATE_LIMIT_REJECTIONS, "limit" => "per_client").increment(1);
        let retry_after_secs = match error {
            GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
            _ => 1,
        };
        ApiError::TooManyRequests { retry_after_secs }.into_response()
    });
    let in_flight = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
            counter!(RATE_LIMIT_REJECTIONS, "limit" => "in_flight").increment(1);
            ApiError::Overloaded
        }))
        .load_shed()
        .concurrency_limit(limits.max_concurrent_requests);
    // The in-flight cap outside: a request over it costs no rate-limit bookkeeping.
    router.layer(rate_limit).layer(in_flight)
}
