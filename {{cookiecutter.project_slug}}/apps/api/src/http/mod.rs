//! The HTTP layer: one router per feature, merged here with the shared middleware.

mod auth;
mod error;
mod health;
mod limits;
mod posts;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, Request, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::ApiError;

use crate::config::{CorsOrigins, HttpConfig, WriteToken};
use crate::posts::{PostRepository, PostsEnvironment, PostsReducer, PostsStore};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub posts: Arc<PostsStore>,
    /// The same repository, asked by `/ready` whether it reaches its data.
    pub repository: Arc<dyn PostRepository>,
    /// What writes must present; `None` refuses every write.
    pub write_token: Option<Arc<WriteToken>>,
}

impl AppState {
    pub fn new(repository: Arc<dyn PostRepository>, config: &HttpConfig) -> Self {
        let environment = PostsEnvironment {
            repository: repository.clone(),
        };
        Self {
            posts: Arc::new(PostsStore::new(PostsReducer, environment)),
            repository,
            write_token: config.write_token.clone().map(Arc::new),
        }
    }
}

pub fn router(state: AppState, config: &HttpConfig) -> Router {
    let middleware = ServiceBuilder::new()
        // Outermost first: every log line and response carries the request id.
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(cors(&config.cors_allowed_origins))
        .layer(DefaultBodyLimit::max(config.request_body_limit));

    // Everything but liveness is limited: /health must answer Fly's checks whatever the load.
    let limited = limits::apply(
        Router::new()
            .merge(posts::router())
            .merge(health::readiness())
            .fallback(|| async { ApiError::NotFound("no such route") }),
        &config.limits,
        limits::ClientKey {
            on_fly: config.on_fly,
        },
    );
    Router::new()
        .merge(health::liveness())
        .merge(limited)
        .layer(middleware)
        .with_state(state)
}

fn cors(origins: &CorsOrigins) -> CorsLayer {
    let allow_origin = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => AllowOrigin::list(list.iter().cloned()),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(std::time::Duration::from_secs(600))
}
