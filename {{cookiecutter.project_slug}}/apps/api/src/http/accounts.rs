//! Accounts over HTTP (feature `accounts`): every route needs the write token (the web app is
//! the only caller); a signed-in visitor's calls also carry `X-Session-Token`, which the API
//! resolves itself. Handlers only translate: body -> flow, result -> answer.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::auth::WriteAccess;
use super::{ApiError, AppState, JsonBody, ReadFromPrimary};
use crate::accounts::{AccountError, Accounts, HashingError, User};

/// The session token of the visitor the web app calls for; never logged.
pub const SESSION_HEADER: HeaderName = HeaderName::from_static("x-session-token");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts", post(sign_up))
        .route("/api/accounts/verification", post(verify))
        .route("/api/accounts/verification/resend", post(resend))
        .route("/api/accounts/password-reset", post(request_reset))
        .route("/api/accounts/password-reset/confirm", post(reset))
        .route("/api/sessions", post(sign_in))
        .route("/api/sessions/current", delete(sign_out).get(current))
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(fields) => Self::InvalidFields(fields),
            AccountError::InvalidToken => Self::InvalidToken,
            AccountError::InvalidCredentials => Self::InvalidCredentials,
            AccountError::NoSession => Self::NoSession,
            AccountError::Throttled { retry_after_secs } => {
                Self::TooManyRequests { retry_after_secs }
            }
            AccountError::Hashing(HashingError::Saturated) => Self::HashingSaturated,
            AccountError::Hashing(error) => Self::Unavailable(error.to_string()),
            AccountError::Storage(crate::posts::RepositoryError::ReadOnly(cause)) => {
                Self::ReadOnlyDatabase(cause)
            }
            AccountError::Storage(error) => Self::Unavailable(error.to_string()),
            AccountError::Random(cause) => Self::Unavailable(cause),
        }
    }
}

/// The accounts service; the server always has one with the feature on.
fn accounts(app: &AppState) -> Result<&Accounts, ApiError> {
    app.accounts.as_deref().ok_or(ApiError::Unavailable(
        "accounts are not configured".to_owned(),
    ))
}

/// The user of the request's `X-Session-Token` (with the write token): 401 `no_session` when
/// it is missing, unknown, signed out or expired.
pub struct SignedInUser(pub User);

impl FromRequestParts<AppState> for SignedInUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        WriteAccess::from_request_parts(parts, app).await?;
        let token = session_token(&parts.headers).ok_or(ApiError::NoSession)?;
        // Writes, and reads of a client that has just written, must see the primary.
        let from_primary =
            parts.method != Method::GET || parts.extensions.get::<ReadFromPrimary>().is_some();
        let user = accounts(app)?.current(&token, from_primary).await?;
        Ok(Self(user))
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    let token = headers.get(SESSION_HEADER)?.to_str().ok()?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
struct Email {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct NewPassword {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// 202 `{}`: the same answer whatever happened, so it tells nothing about the address.
fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

async fn sign_up(
    State(app): State<AppState>,
    _: WriteAccess,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<Response, ApiError> {
    accounts(&app)?.sign_up(&body.email, body.password).await?;
    Ok(accepted())
}

async fn verify(
    State(app): State<AppState>,
    _: WriteAccess,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response, ApiError> {
    let signed_in = accounts(&app)?.verify(&body.token).await?;
    Ok((StatusCode::CREATED, Json(signed_in)).into_response())
}

async fn resend(
    State(app): State<AppState>,
    _: WriteAccess,
    JsonBody(body): JsonBody<Email>,
) -> Result<Response, ApiError> {
    accounts(&app)?.resend_verification(&body.email).await?;
    Ok(accepted())
}

async fn sign_in(
    State(app): State<AppState>,
    _: WriteAccess,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<Response, ApiError> {
    let signed_in = accounts(&app)?.sign_in(&body.email, body.password).await?;
    Ok((StatusCode::CREATED, Json(signed_in)).into_response())
}

async fn current(SignedInUser(user): SignedInUser) -> Json<serde_json::Value> {
    Json(json!({ "user": user }))
}

/// 204 whether or not the token named a session: signing out twice is not an error.
async fn sign_out(
    State(app): State<AppState>,
    _: WriteAccess,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    if let Some(token) = session_token(&headers) {
        accounts(&app)?.sign_out(&token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn request_reset(
    State(app): State<AppState>,
    _: WriteAccess,
    JsonBody(body): JsonBody<Email>,
) -> Result<Response, ApiError> {
    accounts(&app)?.request_reset(&body.email).await?;
    Ok(accepted())
}

async fn reset(
    State(app): State<AppState>,
    _: WriteAccess,
    JsonBody(body): JsonBody<NewPassword>,
) -> Result<StatusCode, ApiError> {
    accounts(&app)?.reset(&body.token, body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
