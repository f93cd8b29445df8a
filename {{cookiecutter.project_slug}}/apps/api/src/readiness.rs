//! What `/ready` asks of the environment.

use async_trait::async_trait;

use crate::posts::RepositoryError;

/// Can this instance reach the data it serves?
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn check(&self) -> Result<(), RepositoryError>;
}
