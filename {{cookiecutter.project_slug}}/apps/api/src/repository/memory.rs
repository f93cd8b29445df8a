//! Posts kept in process memory: lost on restart and not shared between instances.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::posts::{LIST_LIMIT, NewPost, Post, PostId, PostRepository, RepositoryError};

pub struct MemoryPostRepository {
    posts: Mutex<Vec<Post>>,
}

impl MemoryPostRepository {
    pub fn empty() -> Self {
        Self {
            posts: Mutex::new(Vec::new()),
        }
    }

    /// The same posts the first database migration inserts, so both setups start alike.
    pub fn seeded() -> Self {
        let seeds = [
            (
                "Welcome to your Composable app",
                "This post comes from the API. Add your own with POST /api/posts.",
            ),
            (
                "State, actions and reducers",
                "Business logic lives in pure reducers; effects describe the I/O they need.",
            ),
        ];
        let posts = seeds
            .into_iter()
            .zip(1..)
            .map(|((title, body), id)| Post {
                id,
                title: title.to_owned(),
                body: body.to_owned(),
            })
            .collect();
        Self {
            posts: Mutex::new(posts),
        }
    }

    fn posts(&self) -> std::sync::MutexGuard<'_, Vec<Post>> {
        // A panic while holding the lock cannot leave the Vec half-written, so recover it.
        self.posts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl PostRepository for MemoryPostRepository {
    async fn list(&self) -> Result<Vec<Post>, RepositoryError> {
        Ok(self
            .posts()
            .iter()
            .rev()
            .take(LIST_LIMIT)
            .cloned()
            .collect())
    }

    async fn find(&self, id: PostId) -> Result<Option<Post>, RepositoryError> {
        Ok(self.posts().iter().find(|post| post.id == id).cloned())
    }

    async fn insert(&self, post: NewPost) -> Result<Post, RepositoryError> {
        let mut posts = self.posts();
        let id = posts.last().map_or(1, |last| last.id + 1);
        let stored = Post {
            id,
            title: post.title,
            body: post.body,
        };
        posts.push(stored.clone());
        Ok(stored)
    }

    async fn check(&self) -> Result<(), RepositoryError> {
        Ok(())
    }
}
