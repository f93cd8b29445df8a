//! The one error type of the HTTP layer, and the JSON every error response has.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::posts::FieldError;

#[derive(Debug)]
pub enum ApiError {
    NotFound(&'static str),
    /// The body was well-formed but some fields were refused.
    Validation(Vec<FieldError>),
    /// The body could not be read as the expected JSON.
    MalformedBody(JsonRejection),
    /// A dependency failed; the cause is logged here and never sent to the client.
    Unavailable(String),
    /// The database took the write for a read: nothing was stored, retrying may succeed.
    ReadOnlyDatabase(String),
    /// A write without the right bearer token.
    Unauthorized,
    /// This client is over its rate.
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// The instance is at its limit of requests in flight.
    Overloaded,
    /// The `Idempotency-Key` already created a different post.
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still in progress.
    IdempotencyKeyInUse,
}

/// `{"error": "...", "fields": {"title": "is required"}}`; `fields` only for validation errors.
#[derive(Serialize)]
struct ErrorBody {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<&'static str, String>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            Self::Overloaded | Self::ReadOnlyDatabase(_) | Self::IdempotencyKeyInUse => Some(1),
            _ => None,
        };
        let read_only = matches!(self, Self::ReadOnlyDatabase(_));
        let challenge = matches!(self, Self::Unauthorized);
        let (status, error, fields) = match self {
            Self::NotFound(what) => (StatusCode::NOT_FOUND, what.to_owned(), None),
            Self::Validation(errors) => (
                StatusCode::BAD_REQUEST,
                "validation failed".to_owned(),
                Some(errors.into_iter().map(|e| (e.field, e.message)).collect()),
            ),
            Self::MalformedBody(rejection) => {
                // 413 and 415 keep their meaning; every unreadable body is otherwise a 400.
                let status = match rejection.status() {
                    status @ (StatusCode::PAYLOAD_TOO_LARGE
                    | StatusCode::UNSUPPORTED_MEDIA_TYPE) => status,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, rejection.body_text(), None)
            }
            Self::Unavailable(cause) => {
                tracing::error!(%cause, "request failed on a dependency");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service temporarily unavailable".to_owned(),
                    None,
                )
            }
            Self::ReadOnlyDatabase(cause) => {
                tracing::warn!(%cause, "write refused by a read-only database");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service temporarily unavailable".to_owned(),
                    None,
                )
            }
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "a valid bearer token is required".to_owned(),
                None,
            ),
            Self::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests".to_owned(),
                None,
            ),
            Self::Overloaded => {
                tracing::warn!("refused a request: too many in flight");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server busy, retry shortly".to_owned(),
                    None,
                )
            }
            Self::IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "this Idempotency-Key was already used for a different post".to_owned(),
                None,
            ),
            Self::IdempotencyKeyInUse => (
                StatusCode::CONFLICT,
                "a request with this Idempotency-Key is in progress, retry shortly".to_owned(),
                None,
            ),
        };
        let mut response = (status, Json(ErrorBody { error, fields })).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if read_only {
            // Multi-region builds turn this answer into a replay to the primary region.
            response
                .extensions_mut()
                .insert(super::WriteRefusedReadOnly);
        }
        if challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::MalformedBody(rejection)
    }
}
