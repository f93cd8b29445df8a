//! Posts over HTTP. Handlers only translate: request -> action, final state -> response.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::auth::WriteAccess;
use super::{ApiError, AppState};
use crate::posts::{PostDraft, PostsAction, PostsState};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/posts", get(list).post(create))
        .route("/api/posts/{id}", get(detail))
}

async fn list(State(app): State<AppState>) -> Response {
    respond(&app, PostsAction::ListRequested).await
}

async fn detail(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    respond(&app, PostsAction::DetailRequested(id)).await
}

async fn create(
    State(app): State<AppState>,
    _: WriteAccess,
    headers: HeaderMap,
    draft: Result<Json<PostDraft>, JsonRejection>,
) -> Response {
    let idempotency_key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    match draft {
        Ok(Json(draft)) => {
            let action = PostsAction::CreateRequested {
                draft,
                idempotency_key,
            };
            respond(&app, action).await
        }
        Err(rejection) => ApiError::from(rejection).into_response(),
    }
}

async fn respond(app: &AppState, action: PostsAction) -> Response {
    match app.posts.send(action).await {
        PostsState::Listed(posts) => Json(posts).into_response(),
        PostsState::Found(post) => Json(post).into_response(),
        PostsState::Created(post) => {
            let location = format!("/api/posts/{}", post.id);
            (
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(post),
            )
                .into_response()
        }
        PostsState::NotFound => ApiError::NotFound("post not found").into_response(),
        PostsState::Invalid(errors) => ApiError::Validation(errors).into_response(),
        PostsState::Unavailable(error) => ApiError::Unavailable(error.to_string()).into_response(),
    }
}
