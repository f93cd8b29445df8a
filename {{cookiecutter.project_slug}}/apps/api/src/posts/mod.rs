//! The posts feature: list, read and create posts.
//!
//! `reducer.rs` holds every decision, `effect.rs` the repository work it asks for and the
//! environment that work runs against; this file holds the data they exchange.

mod effect;
mod reducer;

use serde::{Deserialize, Serialize};

pub use effect::{PostRepository, PostsEffect, PostsEnvironment, RepositoryError};
pub use reducer::PostsReducer;

/// The posts feature's runtime, shared by every request.
pub type PostsStore = crate::composable::Store<PostsReducer>;

pub type PostId = i64;

pub const TITLE_MAX_CHARS: usize = 200;
pub const BODY_MAX_CHARS: usize = 10_000;
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 200;
/// The most posts one list returns.
pub const LIST_LIMIT: usize = 100;

/// A stored post, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub title: String,
    pub body: String,
}

/// A post as a client sent it: fields may be missing, so the reducer can name what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PostDraft {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// A validated post, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    /// The signed-in user who writes it (feature `accounts`); never part of a `Post`, so no
    /// author is ever shown to readers.
    pub author_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// The client's `Idempotency-Key`: a second create with the same key stores nothing and
    /// answers with the post the first one stored.
    pub idempotency_key: Option<String>,
}

impl NewPost {
    /// Whether `earlier`, found under this post's idempotency key, is a retry of the same post.
    pub fn is_retry_of(&self, earlier: &Post) -> bool {
        self.title == earlier.title && self.body == earlier.body
    }
}

/// Why one field of a draft was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Everything that can happen to the feature: client requests, then the results of effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostsAction {
    ListRequested,
    /// The id exactly as it appeared in the URL; the reducer decides whether it can exist.
    DetailRequested(String),
    CreateRequested {
        draft: PostDraft,
        /// The `Idempotency-Key` header, as sent.
        idempotency_key: Option<String>,
        /// The user the session belongs to (feature `accounts`).
        author_id: Option<i64>,
    },
    ListLoaded(Result<Vec<Post>, RepositoryError>),
    DetailLoaded(Result<Option<Post>, RepositoryError>),
    PostStored(Result<Post, RepositoryError>),
}

/// Where a request settles; the HTTP layer turns each into a response.
#[derive(Debug, PartialEq, Eq)]
pub enum PostsState {
    Listed(Vec<Post>),
    Found(Post),
    Created(Post),
    NotFound,
    Invalid(Vec<FieldError>),
    /// The repository failed: the reason is for the logs, clients get a generic error.
    Unavailable(RepositoryError),
    /// The write reached a database that only serves reads; nothing was stored.
    ReadOnly(RepositoryError),
    /// The idempotency key belongs to a different post: the client's mistake, nothing stored.
    KeyReused,
    /// A request with the same idempotency key is still being stored: retry shortly.
    KeyInUse,
}
