use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{NewPost, Post, PostId, PostsAction};
use crate::composable::Effect;

/// The repository work the posts reducer can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostsEffect {
    LoadList,
    LoadDetail(PostId),
    Store(NewPost),
}

impl Effect for PostsEffect {
    type Action = PostsAction;
    type Environment = PostsEnvironment;

    fn run(self, environment: &PostsEnvironment) -> impl Future<Output = PostsAction> + Send {
        let repository = &environment.repository;
        async move {
            match self {
                Self::LoadList => PostsAction::ListLoaded(repository.list().await),
                Self::LoadDetail(id) => PostsAction::DetailLoaded(repository.find(id).await),
                Self::Store(post) => PostsAction::PostStored(repository.insert(post).await),
            }
        }
    }
}

/// The posts feature's dependencies.
#[derive(Clone)]
pub struct PostsEnvironment {
    pub repository: Arc<dyn PostRepository>,
}

/// Where posts are kept: PostgreSQL in production, memory in tests and database-less setups.
#[async_trait]
pub trait PostRepository: Send + Sync {
    /// The newest posts first, at most `LIST_LIMIT` of them.
    async fn list(&self) -> Result<Vec<Post>, RepositoryError>;
    async fn find(&self, id: PostId) -> Result<Option<Post>, RepositoryError>;
    /// Stores `post`; with an idempotency key seen within its time to live, returns the post that
    /// key created instead (`KeyReused` if that post has another title or body).
    async fn insert(&self, post: NewPost) -> Result<Post, RepositoryError>;
    /// Readiness: can this instance reach its data?
    async fn check(&self) -> Result<(), RepositoryError>;
}

/// A storage failure; its message is for logs, never for clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryError {
    /// The store did not answer, or failed the request.
    Unavailable(String),
    /// The store refused a write because it only serves reads: a replica, or a primary that
    /// is stepping down (PostgreSQL's `read_only_sql_transaction`). The write may succeed on the
    /// writable primary.
    ReadOnly(String),
    /// The create's `Idempotency-Key` already created a post with another title or body.
    KeyReused,
    /// Another request with the same `Idempotency-Key` is storing its post right now.
    KeyInUse,
}

impl fmt::Display for RepositoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(message) => f.write_str(message),
            Self::ReadOnly(message) => write!(f, "read-only: {message}"),
            Self::KeyReused => f.write_str("idempotency key reused for another post"),
            Self::KeyInUse => f.write_str("idempotency key in use by a request in progress"),
        }
    }
}

impl std::error::Error for RepositoryError {}
