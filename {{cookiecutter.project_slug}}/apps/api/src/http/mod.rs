//! The HTTP layer: one router per feature, merged here with the shared middleware.

#[cfg(feature = "accounts")]
mod accounts;
mod auth;
mod error;
pub mod health;
mod limits;
mod posts;
#[cfg(feature = "multi-region")]
mod region;
mod request_id;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Request, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::{ApiError, JsonBody};
pub use limits::{VISITOR_ADDRESS, client_of};
#[cfg(feature = "multi-region")]
pub use region::READ_PRIMARY_COOKIE;

use crate::config::{CorsOrigins, HttpConfig, WriteToken};
use crate::posts::{PostRepository, PostsEnvironment, PostsReducer, PostsStore};

use self::request_id::REQUEST_ID;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub posts: Arc<PostsStore>,
    /// Serves reads that must see the client's own recent write; the same store unless reads
    /// normally go to a replica (feature `multi-region`).
    pub posts_from_primary: Arc<PostsStore>,
    /// The same repository, asked by `/ready` whether it reaches its data.
    pub repository: Arc<dyn PostRepository>,
    /// What writes must present; `None` refuses every write.
    pub write_token: Option<Arc<WriteToken>>,
    /// Users and sessions (feature `accounts`); the server always sets them.
    #[cfg(feature = "accounts")]
    pub accounts: Option<Arc<crate::accounts::Accounts>>,
}

impl AppState {
    pub fn new(repository: Arc<dyn PostRepository>, config: &HttpConfig) -> Self {
        let posts = Arc::new(store(repository.clone()));
        Self {
            posts_from_primary: posts.clone(),
            posts,
            repository,
            write_token: config.write_token.clone().map(Arc::new),
            #[cfg(feature = "accounts")]
            accounts: None,
        }
    }

    #[cfg(feature = "accounts")]
    pub fn with_accounts(mut self, accounts: Arc<crate::accounts::Accounts>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// Reads marked [`ReadFromPrimary`] use `primary`, the others the repository given to `new`.
    #[cfg(feature = "multi-region")]
    pub fn with_primary_reads(mut self, primary: Arc<dyn PostRepository>) -> Self {
        self.posts_from_primary = Arc::new(store(primary));
        self
    }

    fn posts_for(&self, from_primary: Option<ReadFromPrimary>) -> &PostsStore {
        match from_primary {
            Some(ReadFromPrimary) => &self.posts_from_primary,
            None => &self.posts,
        }
    }
}

fn store(repository: Arc<dyn PostRepository>) -> PostsStore {
    PostsStore::new(PostsReducer, PostsEnvironment { repository })
}

/// Request extension: this client wrote a moment ago, read from the primary database.
#[derive(Debug, Clone, Copy)]
pub struct ReadFromPrimary;

pub fn router(state: AppState, config: &HttpConfig) -> Router {
    let middleware = ServiceBuilder::new()
        // Outermost first: every log line and response carries the request id; a client's own
        // id is kept only if it is short and plain, so it cannot bloat or forge log lines.
        .layer(axum::middleware::map_request(request_id::drop_invalid))
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
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // A 5xx is logged once by its cause (a failed dependency at ERROR); a 503 for load
                // must not add an ERROR line per refused request.
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(config.request_body_limit));

    // Everything but liveness is limited: /health must answer Fly's checks whatever the load.
    // CORS sits inside the limits, so preflight OPTIONS requests count like any other.
    let cors = cors(&config.cors_allowed_origins);
    let limited = limits::apply(
        Router::new()
            .merge(posts::router())
            .merge(feature_routes())
            .merge(health::readiness())
            .fallback(|| async { ApiError::NotFound("no such route") })
            .layer(cors.clone()),
        &config.limits,
        limits::ClientKey {
            on_fly: config.on_fly,
            write_token: config.write_token.clone(),
        },
    );
    let liveness = health::liveness().layer(cors);
    let routes = Router::new().merge(liveness).merge(limited);
    #[cfg(feature = "multi-region")]
    let routes = region::apply(routes, &config.regions);
    routes
        // Inside the request id and tracing, outside every limit: 429s, 503s and replays count.
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(middleware)
        .with_state(state)
}

#[cfg(feature = "accounts")]
fn feature_routes() -> Router<AppState> {
    accounts::router()
}

#[cfg(not(feature = "accounts"))]
fn feature_routes() -> Router<AppState> {
    Router::new()
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
