use super::{FieldError, Post, RepositoryError};

/// The state of one posts request: empty until the reducer settles on an outcome.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PostsState {
    pub outcome: Option<PostsOutcome>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PostsOutcome {
    Listed(Vec<Post>),
    Found(Post),
    Created(Post),
    NotFound,
    Invalid(Vec<FieldError>),
    /// The repository failed: the reason is for the logs, clients get a generic error.
    Unavailable(RepositoryError),
}
