use super::{Post, PostDraft, RepositoryError};

/// Everything that can happen to the posts feature: requests from clients and effect results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostsAction {
    ListRequested,
    /// The id exactly as it appeared in the URL; the reducer decides whether it can exist.
    DetailRequested {
        id: String,
    },
    CreateRequested(PostDraft),
    ListLoaded(Result<Vec<Post>, RepositoryError>),
    DetailLoaded(Result<Option<Post>, RepositoryError>),
    PostStored(Result<Post, RepositoryError>),
}
