//! Posts over HTTP. Handlers only translate: request -> action, final state -> response.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::auth::{Author, WriteAccess};
use super::{ApiError, AppState, JsonBody, ReadFromPrimary};
use crate::posts::{PostDraft, PostsAction, PostsState, PostsStore};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/posts", get(list).post(create))
        .route("/api/posts/{id}", get(detail))
}

/// Set by the multi-region layer for a client that has just written.
type FromPrimary = Option<Extension<ReadFromPrimary>>;

async fn list(State(app): State<AppState>, from_primary: FromPrimary) -> Response {
    let posts = app.posts_for(from_primary.map(|Extension(mark)| mark));
    respond(posts, PostsAction::ListRequested).await
}

async fn detail(
    State(app): State<AppState>,
    from_primary: FromPrimary,
    Path(id): Path<String>,
) -> Response {
    let posts = app.posts_for(from_primary.map(|Extension(mark)| mark));
    respond(posts, PostsAction::DetailRequested(id)).await
}

async fn create(
    State(app): State<AppState>,
    _: WriteAccess,
    Author(author_id): Author,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<PostDraft>,
) -> Response {
    let idempotency_key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let action = PostsAction::CreateRequested {
        draft,
        idempotency_key,
        author_id,
    };
    respond(&app.posts, action).await
}

async fn respond(posts: &PostsStore, action: PostsAction) -> Response {
    match posts.send(action).await {
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
        PostsState::ReadOnly(error) => {
            ApiError::ReadOnlyDatabase(error.to_string()).into_response()
        }
        PostsState::KeyReused => ApiError::IdempotencyKeyReused.into_response(),
        PostsState::KeyInUse => ApiError::IdempotencyKeyInUse.into_response(),
    }
}
