//! Several Fly regions, one writable database (feature `multi-region`).
//!
//! - A write (any method but GET, HEAD, OPTIONS) that reaches a Machine outside
//!   `PRIMARY_REGION` is not run: the answer is an empty 409 with `fly-replay: region=<primary>`,
//!   and Fly's proxy sends the same request again to a Machine in the primary region. The client
//!   never sees the 409; a caller that bypasses the proxy does, and knows nothing was written.
//! - A write the database refuses as read-only (a replica, or a primary stepping down during a
//!   failover) is answered the same way instead of with a 503, once: a request that was already
//!   replayed (`fly-replay-src`) gets the 503 and its `Retry-After`.
//! - Read-your-writes: a successful write sets the cookie `read_primary_until` (its deadline,
//!   in Unix milliseconds, `READ_YOUR_WRITES_SECS` ahead); until then that client's reads use
//!   `DATABASE_URL` instead of the replica, which may not have the write yet. Server-to-server
//!   clients send the cookie back like any other (`Cookie: read_primary_until=...`).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use metrics::counter;

use super::{AppState, ReadFromPrimary};
use crate::config::Regions;
use crate::metrics::FLY_REPLAYS;

const FLY_REPLAY: HeaderName = HeaderName::from_static("fly-replay");
/// Added by Fly's proxy to a request it replays.
const FLY_REPLAY_SRC: HeaderName = HeaderName::from_static("fly-replay-src");
pub const READ_PRIMARY_COOKIE: &str = "read_primary_until";

/// Response extension: the database refused the write as read-only; nothing was stored.
#[derive(Debug, Clone, Copy)]
pub struct WriteRefusedReadOnly;

pub fn apply(router: Router<AppState>, regions: &Regions) -> Router<AppState> {
    let Some(primary) = regions.primary.as_deref() else {
        return router; // off Fly: one database, every write is taken here
    };
    let policy = Arc::new(Policy {
        replay: HeaderValue::from_str(&format!("region={primary}"))
            .expect("PRIMARY_REGION is a checked region code"),
        replay_writes: regions.replay_writes_to().is_some(),
        read_your_writes: regions.read_your_writes,
    });
    router.layer(middleware::from_fn_with_state(policy, route))
}

struct Policy {
    /// The `fly-replay` value: `region=<PRIMARY_REGION>`.
    replay: HeaderValue,
    /// This Machine is outside the primary region.
    replay_writes: bool,
    read_your_writes: Duration,
}

async fn route(State(policy): State<Arc<Policy>>, mut request: Request, next: Next) -> Response {
    let write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !write {
        if reads_from_primary(request.headers(), now_millis(), policy.read_your_writes) {
            request.extensions_mut().insert(ReadFromPrimary);
        }
        return next.run(request).await;
    }
    if policy.replay_writes {
        return replay(&policy, "region");
    }
    let replayed_already = request.headers().contains_key(FLY_REPLAY_SRC);
    let mut response = next.run(request).await;
    if response
        .extensions()
        .get::<WriteRefusedReadOnly>()
        .is_some()
        && !replayed_already
    {
        return replay(&policy, "read_only");
    }
    if response.status().is_success() {
        let until = now_millis() + policy.read_your_writes.as_millis() as u64;
        let cookie = format!(
            "{READ_PRIMARY_COOKIE}={until}; Max-Age={}; Path=/; HttpOnly; SameSite=Lax",
            policy.read_your_writes.as_secs()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Only the header: Fly's proxy replays the original request and discards this answer.
fn replay(policy: &Policy, reason: &'static str) -> Response {
    counter!(FLY_REPLAYS, "reason" => reason).increment(1);
    (StatusCode::CONFLICT, [(FLY_REPLAY, policy.replay.clone())]).into_response()
}

/// The client wrote less than `window` ago: its `read_primary_until` deadline is still ahead
/// (and not further ahead than a write could have set it).
fn reads_from_primary(headers: &HeaderMap, now: u64, window: Duration) -> bool {
    let latest = now + window.as_millis() as u64;
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == READ_PRIMARY_COOKIE)
        .filter_map(|(_, value)| value.parse::<u64>().ok())
        .any(|until| now < until && until <= latest)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(5);

    fn cookies(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_recent_write_cookie_sends_reads_to_the_primary() {
        let now = 1_000_000;
        let fresh = cookies(&format!(
            "theme=dark; {READ_PRIMARY_COOKIE}={}",
            now + 4_000
        ));
        assert!(reads_from_primary(&fresh, now, WINDOW));
    }

    #[test]
    fn expired_far_future_or_garbled_cookies_do_not() {
        let now = 1_000_000;
        for value in [
            format!("{READ_PRIMARY_COOKIE}={}", now - 1),
            format!("{READ_PRIMARY_COOKIE}={}", now + 60_000),
            format!("{READ_PRIMARY_COOKIE}=soon"),
            "other=1".to_owned(),
        ] {
            assert!(
                !reads_from_primary(&cookies(&value), now, WINDOW),
                "{value}"
            );
        }
        assert!(!reads_from_primary(&HeaderMap::new(), now, WINDOW));
    }
}
