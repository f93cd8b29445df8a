use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{NewPost, Post, PostId};

/// The most posts one list returns.
pub const LIST_LIMIT: usize = 100;

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
    async fn insert(&self, post: NewPost) -> Result<Post, RepositoryError>;
}

/// A storage failure; its message is for logs, never for clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryError(pub String);

impl fmt::Display for RepositoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RepositoryError {}
