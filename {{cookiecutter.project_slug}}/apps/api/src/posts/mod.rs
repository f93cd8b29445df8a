//! The posts feature: list, read and create posts.

mod action;
mod effect;
mod environment;
mod model;
mod reducer;
mod state;

pub use action::PostsAction;
pub use effect::PostsEffect;
pub use environment::{LIST_LIMIT, PostRepository, PostsEnvironment, RepositoryError};
pub use model::{BODY_MAX_CHARS, FieldError, NewPost, Post, PostDraft, PostId, TITLE_MAX_CHARS};
pub use reducer::PostsReducer;
pub use state::{PostsOutcome, PostsState};

/// The posts feature's runtime, shared by every request.
pub type PostsStore = crate::composable::Store<PostsReducer>;
