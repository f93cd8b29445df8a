//! `X-Request-Id`: a client's own id is kept when it matches the web app's rule (1 to 128 of
//! `A-Z a-z 0-9 . _ -`), so one id follows a page render through both servers' logs; any other
//! value is dropped and replaced by a fresh UUID, so it is neither echoed nor logged.

use axum::extract::Request;
use axum::http::HeaderName;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id kept, as the web app's `REQUEST_ID` pattern.
pub const REQUEST_ID_MAX_CHARS: usize = 128;

pub fn is_valid(id: &[u8]) -> bool {
    (1..=REQUEST_ID_MAX_CHARS).contains(&id.len())
        && id
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
}

/// Removes a request id that breaks the rule, before anything logs or echoes it.
pub async fn drop_invalid(mut request: Request) -> Request {
    let headers = request.headers_mut();
    let valid = headers.get_all(&REQUEST_ID).iter().count() == 1
        && headers
            .get(&REQUEST_ID)
            .is_some_and(|id| is_valid(id.as_bytes()));
    if !valid {
        headers.remove(&REQUEST_ID);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_web_apps_rule() {
        for good in ["a", "0b3c-9f.x_y", &"r".repeat(REQUEST_ID_MAX_CHARS)] {
            assert!(is_valid(good.as_bytes()), "{good}");
        }
        let long = "r".repeat(REQUEST_ID_MAX_CHARS + 1);
        for bad in [
            "",
            "has space",
            "line\nbreak",
            "naïve",
            "a/b",
            long.as_str(),
        ] {
            assert!(!is_valid(bad.as_bytes()), "{bad:?}");
        }
    }
}
