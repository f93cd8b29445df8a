//! The one error type of the HTTP layer, and the JSON every error response has.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::posts::FieldError;

/// Each variant's message is the `error` of its JSON body; [`ApiError::status`] its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(&'static str),
    /// The body was well-formed but some fields were refused.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The body could not be read as the expected JSON.
    #[error("{}", .0.body_text())]
    MalformedBody(#[from] JsonRejection),
    /// A dependency failed; the cause is logged here and never sent to the client.
    #[error("service temporarily unavailable")]
    Unavailable(String),
    /// The database took the write for a read: nothing was stored, retrying may succeed.
    #[error("service temporarily unavailable")]
    ReadOnlyDatabase(String),
    /// A write without the right bearer token.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// This client is over its rate.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The instance is at its limit of requests in flight.
    #[error("server busy, retry shortly")]
    Overloaded,
    /// The `Idempotency-Key` already created a different post.
    #[error("this Idempotency-Key was already used for a different post")]
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still in progress.
    #[error("a request with this Idempotency-Key is in progress, retry shortly")]
    IdempotencyKeyInUse,
    /// Accounts: fields refused by the e-mail or password policy (`{"error":"invalid"}`, 422).
    #[error("invalid")]
    InvalidFields(Vec<FieldError>),
    /// Accounts: a verification or reset token that is unknown, used or expired.
    #[error("this link is invalid, used or expired")]
    InvalidToken,
    /// Accounts: the same answer for an unknown address, a wrong password and an address not
    /// verified yet (a different answer for the last would tell whether an address has an account).
    #[error("wrong e-mail or password, or the address is not verified yet")]
    InvalidCredentials,
    /// Accounts: no valid `X-Session-Token` (missing, unknown, signed out or expired).
    #[error("sign in first")]
    NoSession,
    /// Accounts: every password-hashing slot and its queue are taken.
    #[error("busy hashing passwords, retry shortly")]
    HashingSaturated,
}

/// A JSON request body: one that cannot be read is answered as [`ApiError::MalformedBody`].
#[derive(FromRequest)]
#[from_request(via(Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// `{"error": "...", "fields": {"title": "is required"}}`; `fields` only for validation errors.
/// Account errors name a code in `error` and say it for people in `message`.
#[derive(Serialize)]
struct ErrorBody {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<&'static str, String>>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            // 413 and 415 keep their meaning; every unreadable body is otherwise a 400.
            Self::MalformedBody(rejection) => match rejection.status() {
                status @ (StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE) => {
                    status
                }
                _ => StatusCode::BAD_REQUEST,
            },
            Self::Unavailable(_) | Self::ReadOnlyDatabase(_) | Self::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::IdempotencyKeyInUse => StatusCode::CONFLICT,
            Self::InvalidFields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::InvalidToken => StatusCode::BAD_REQUEST,
            Self::InvalidCredentials | Self::NoSession => StatusCode::UNAUTHORIZED,
            Self::HashingSaturated => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable code of an account error, which clients match on.
    fn code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidToken => Some("invalid_token"),
            Self::InvalidCredentials => Some("invalid_credentials"),
            Self::NoSession => Some("no_session"),
            Self::HashingSaturated => Some("busy"),
            _ => None,
        }
    }

    /// Seconds after which the same request may succeed.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            Self::Overloaded
            | Self::ReadOnlyDatabase(_)
            | Self::IdempotencyKeyInUse
            | Self::HashingSaturated => Some(1),
            _ => None,
        }
    }

    /// What the operator must see and the client must not.
    fn log(&self) {
        match self {
            Self::Unavailable(cause) => tracing::error!(%cause, "request failed on a dependency"),
            Self::ReadOnlyDatabase(cause) => {
                tracing::warn!(%cause, "write refused by a read-only database");
            }
            Self::Overloaded => tracing::warn!("refused a request: too many in flight"),
            Self::HashingSaturated => {
                tracing::warn!("refused a request: password hashing saturated")
            }
            _ => {}
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let (error, message) = match self.code() {
            Some(code) => (code.to_owned(), Some(self.to_string())),
            None => (self.to_string(), None),
        };
        let body = ErrorBody {
            error,
            message,
            fields: match &self {
                Self::Validation(errors) | Self::InvalidFields(errors) => Some(
                    errors
                        .iter()
                        .map(|e| (e.field, e.message.clone()))
                        .collect(),
                ),
                _ => None,
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if matches!(self, Self::Unauthorized) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // Multi-region builds turn this answer into a replay to the primary region.
        #[cfg(feature = "multi-region")]
        if matches!(self, Self::ReadOnlyDatabase(_)) {
            response
                .extensions_mut()
                .insert(super::region::WriteRefusedReadOnly);
        }
        response
    }
}
