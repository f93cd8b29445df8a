//! Per-client rate limit (tower_governor) and one cap on requests in flight per process (tower).

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::IntoResponse;
use metrics::counter;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use super::auth::has_write_token;
use super::{ApiError, AppState};
use crate::config::{Limits, WriteToken};
use crate::metrics::RATE_LIMIT_REJECTIONS;
use crate::server::PeerAddr;

/// How often clients idle long enough to have a full burst again are forgotten.
const FORGET_IDLE_CLIENTS_EVERY: Duration = Duration::from_secs(60);

/// The address of the visitor a trusted caller (the web app) makes this request for. Read only
/// from requests that carry the write token: anyone else could name any address.
pub const VISITOR_ADDRESS: &str = "x-visitor-address";

/// Who a request counts against: the `X-Visitor-Address` of a request with the write token (the
/// web app, calling for one visitor); else on Fly the `Fly-Client-IP` its proxy sets; else the
/// socket peer. Other forwarding headers a client can write itself are never read.
#[derive(Debug, Clone)]
pub struct ClientKey {
    pub on_fly: bool,
    pub write_token: Option<WriteToken>,
}

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        let header = |name: &str| -> Option<IpAddr> {
            request
                .headers()
                .get(name)?
                .to_str()
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let visitor = || {
            has_write_token(request.headers(), self.write_token.as_ref())
                .then(|| header(VISITOR_ADDRESS))
                .flatten()
        };
        let from_fly = || self.on_fly.then(|| header("fly-client-ip")).flatten();
        let peer = || {
            request
                .extensions()
                .get::<ConnectInfo<PeerAddr>>()
                .map(|ConnectInfo(PeerAddr(address))| address.ip())
        };
        // A request with no peer (an in-process test call) counts against one "unknown" client.
        let address = visitor()
            .or_else(from_fly)
            .or_else(peer)
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        Ok(client_of(address))
    }
}

/// One client per IPv4 address and per IPv6 /64: a single host or home network is usually given
/// a whole /64, so its 2^64 addresses must not be 2^64 clients. An IPv4 address written as IPv6
/// (`::ffff:a.b.c.d`) is that IPv4 address.
pub fn client_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// `router` behind both limits: 429 with Retry-After past a client's rate, 503 with
/// Retry-After once `max_concurrent_requests` are in flight (refused at once, never queued).
/// `Router::layer` wraps each route on its own, so both limits keep their state outside the
/// layer: one governor and one semaphore shared by every route.
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
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(Arc::new(
            Semaphore::new(limits.max_concurrent_requests),
        )));
    // The in-flight cap outside: a request over it costs no rate-limit bookkeeping.
    router.layer(rate_limit).layer(in_flight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_are_their_slash_64() {
        assert_eq!(client_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            client_of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            client_of(ip("2001:db8:1:2::7"))
        );
        assert_ne!(
            client_of(ip("2001:db8:1:3::1")),
            client_of(ip("2001:db8:1:2::1"))
        );
    }

    #[test]
    fn ipv4_mapped_addresses_are_their_ipv4_address() {
        assert_eq!(client_of(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(client_of(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_ne!(client_of(ip("203.0.113.9")), client_of(ip("203.0.113.10")));
    }
}
