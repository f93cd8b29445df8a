//! Writes need `Authorization: Bearer <API_WRITE_TOKEN>`; reads are open.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};

/// Proof that the request carries the write token. Taking it as a handler argument makes the
/// check run before the body is read; without a configured token every write is refused.
pub struct WriteAccess;

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let expected = app.write_token.as_ref().ok_or(ApiError::Unauthorized)?;
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        // Constant time: the comparison takes as long however many leading bytes match.
        if bool::from(presented.as_bytes().ct_eq(expected.0.as_bytes())) {
            Ok(Self)
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}
