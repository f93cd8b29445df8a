//! Writes need `Authorization: Bearer <API_WRITE_TOKEN>`; reads are open.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use crate::config::WriteToken;

/// Proof that the request carries the write token. Taking it as a handler argument makes the
/// check run before the body is read; without a configured token every write is refused.
pub struct WriteAccess;

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if has_write_token(&parts.headers, app.write_token.as_deref()) {
            Ok(Self)
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

/// Whether `headers` carry `Authorization: Bearer <expected>`; never without an expected token.
pub fn has_write_token(headers: &HeaderMap, expected: Option<&WriteToken>) -> bool {
    let Some(expected) = expected else {
        return false;
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    // Constant time: the comparison takes as long however many leading bytes match.
    presented.is_some_and(|presented| bool::from(presented.as_bytes().ct_eq(expected.0.as_bytes())))
}

/// Who writes a post: with feature `accounts` the user of the request's session (401
/// `no_session` without one), resolved by the API itself from `X-Session-Token`.
pub struct Author(pub Option<i64>);

#[cfg(not(feature = "accounts"))]
impl FromRequestParts<AppState> for Author {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(Self(None))
    }
}

#[cfg(feature = "accounts")]
impl FromRequestParts<AppState> for Author {
    type Rejection = ApiError;

    /// A state built without accounts (only the router's own tests build one) takes the post
    /// without an author; the server always has them, so there every post needs a session.
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if app.accounts.is_none() {
            return Ok(Self(None));
        }
        let super::accounts::SignedInUser(user) =
            super::accounts::SignedInUser::from_request_parts(parts, app).await?;
        Ok(Self(Some(user.id)))
    }
}
