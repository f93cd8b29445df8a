//! Posts kept in process memory: lost on restart, not shared between instances, and bounded:
//! past `MAX_POSTS` the oldest post makes room for the new one.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::config::DEFAULT_IDEMPOTENCY_KEY_TTL;
use crate::posts::{LIST_LIMIT, NewPost, Post, PostId, PostRepository, RepositoryError};

/// At most this many posts (about 40 MB at the largest post the reducer accepts).
pub const MAX_POSTS: usize = 1_000;

pub struct MemoryPostRepository {
    posts: Mutex<Posts>,
    /// How long a post's idempotency key is remembered.
    key_ttl: Duration,
}

struct Posts {
    /// Each post with the idempotency key it was created with.
    kept: VecDeque<(Post, Option<KeyUse>)>,
    last_id: PostId,
}

struct KeyUse {
    key: String,
    at: Instant,
}

impl MemoryPostRepository {
    pub fn empty() -> Self {
        Self::with(Vec::new())
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
        Self::with(
            seeds
                .into_iter()
                .zip(1..)
                .map(|((title, body), id)| Post {
                    id,
                    title: title.to_owned(),
                    body: body.to_owned(),
                })
                .collect(),
        )
    }

    fn with(posts: Vec<Post>) -> Self {
        let last_id = posts.last().map_or(0, |post| post.id);
        Self {
            posts: Mutex::new(Posts {
                kept: posts.into_iter().map(|post| (post, None)).collect(),
                last_id,
            }),
            key_ttl: DEFAULT_IDEMPOTENCY_KEY_TTL,
        }
    }

    /// Idempotency keys are forgotten `ttl` after their post was created.
    pub fn with_idempotency_key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = ttl;
        self
    }

    fn posts(&self) -> MutexGuard<'_, Posts> {
        // A panic while holding the lock cannot leave the posts half-written, so recover it.
        self.posts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl PostRepository for MemoryPostRepository {
    async fn list(&self) -> Result<Vec<Post>, RepositoryError> {
        let posts = self.posts();
        let newest = posts.kept.iter().rev().take(LIST_LIMIT);
        Ok(newest.map(|(post, _)| post.clone()).collect())
    }

    async fn find(&self, id: PostId) -> Result<Option<Post>, RepositoryError> {
        let posts = self.posts();
        Ok(posts
            .kept
            .iter()
            .find(|(post, _)| post.id == id)
            .map(|(post, _)| post.clone()))
    }

    async fn insert(&self, post: NewPost) -> Result<Post, RepositoryError> {
        let mut posts = self.posts();
        if let Some(key) = &post.idempotency_key {
            let earlier = posts.kept.iter().find(|(_, kept)| {
                kept.as_ref()
                    .is_some_and(|kept| &kept.key == key && kept.at.elapsed() < self.key_ttl)
            });
            if let Some((earlier, _)) = earlier {
                return if post.is_retry_of(earlier) {
                    Ok(earlier.clone())
                } else {
                    Err(RepositoryError::KeyReused)
                };
            }
        }
        posts.last_id += 1;
        let stored = Post {
            id: posts.last_id,
            title: post.title,
            body: post.body,
        };
        if posts.kept.len() == MAX_POSTS {
            posts.kept.pop_front();
        }
        let key = post.idempotency_key.map(|key| KeyUse {
            key,
            at: Instant::now(),
        });
        posts.kept.push_back((stored.clone(), key));
        Ok(stored)
    }

    async fn check(&self) -> Result<(), RepositoryError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn holds_at_most_max_posts_dropping_the_oldest() {
        let repository = MemoryPostRepository::seeded();
        for n in 0..MAX_POSTS {
            let post = NewPost {
                author_id: None,
                title: format!("Post {n}"),
                body: "x".to_owned(),
                idempotency_key: None,
            };
            repository.insert(post).await.unwrap();
        }
        let posts = repository.posts();
        assert_eq!(posts.kept.len(), MAX_POSTS);
        // The two seeds went first; ids keep growing, so none is ever reused.
        assert_eq!(posts.kept.front().map(|(post, _)| post.id), Some(3));
        assert_eq!(posts.last_id, 2 + MAX_POSTS as PostId);
    }

    fn keyed(title: &str) -> NewPost {
        NewPost {
            author_id: None,
            title: title.to_owned(),
            body: "b".to_owned(),
            idempotency_key: Some("key-1".to_owned()),
        }
    }

    #[tokio::test]
    async fn a_repeated_idempotency_key_returns_the_first_post() {
        let repository = MemoryPostRepository::empty();
        let first = repository.insert(keyed("first")).await.unwrap();
        let retry = repository.insert(keyed("first")).await.unwrap();
        assert_eq!(retry, first);
        assert_eq!(repository.list().await.unwrap(), vec![first]);
    }

    #[tokio::test]
    async fn a_key_reused_for_another_post_stores_nothing() {
        let repository = MemoryPostRepository::empty();
        let first = repository.insert(keyed("first")).await.unwrap();
        let other = repository.insert(keyed("other")).await;
        assert_eq!(other, Err(RepositoryError::KeyReused));
        assert_eq!(repository.list().await.unwrap(), vec![first]);
    }

    #[tokio::test]
    async fn an_expired_key_creates_a_new_post() {
        let ttl = Duration::from_millis(50);
        let repository = MemoryPostRepository::empty().with_idempotency_key_ttl(ttl);
        let first = repository.insert(keyed("first")).await.unwrap();
        std::thread::sleep(ttl * 2);
        let again = repository.insert(keyed("first")).await.unwrap();
        assert_ne!(again.id, first.id);
    }
}
