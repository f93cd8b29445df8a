use crate::composable::Effect;

use super::{NewPost, PostId, PostsAction, PostsEnvironment};

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
