//! Posts in PostgreSQL through a sqlx pool, with the migrations embedded in the binary.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgPoolOptions;

use crate::config::DatabaseConfig;
use crate::posts::{LIST_LIMIT, NewPost, Post, PostId, PostRepository, RepositoryError};

/// ./migrations, compiled in: the runtime image needs neither the files nor sqlx-cli.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A pool that connects on first use, so the server starts (and reports not ready) while the
/// database is down. Connections are tested before use, so a database restart heals by itself.
pub fn connect_lazy(config: &DatabaseConfig) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(Duration::from_secs(300))
        .test_before_acquire(true)
        .connect_lazy(&config.url)
}

pub async fn migrate(pool: &PgPool) -> Result<(), MigrateError> {
    MIGRATOR.run(pool).await
}

#[derive(Clone)]
pub struct PgPostRepository {
    pool: PgPool,
}

impl PgPostRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

type PostRow = (PostId, String, String);

fn into_post((id, title, body): PostRow) -> Post {
    Post { id, title, body }
}

fn failure(error: sqlx::Error) -> RepositoryError {
    RepositoryError(format!("postgres: {error}"))
}

#[async_trait]
impl PostRepository for PgPostRepository {
    async fn list(&self) -> Result<Vec<Post>, RepositoryError> {
        let rows: Vec<PostRow> =
            sqlx::query_as("SELECT id, title, body FROM posts ORDER BY id DESC LIMIT $1")
                .bind(LIST_LIMIT as i64)
                .fetch_all(&self.pool)
                .await
                .map_err(failure)?;
        Ok(rows.into_iter().map(into_post).collect())
    }

    async fn find(&self, id: PostId) -> Result<Option<Post>, RepositoryError> {
        let row: Option<PostRow> =
            sqlx::query_as("SELECT id, title, body FROM posts WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(failure)?;
        Ok(row.map(into_post))
    }

    async fn insert(&self, post: NewPost) -> Result<Post, RepositoryError> {
        // One statement either inserts, or (same key seen before) reads the earlier row.
        let row: PostRow = sqlx::query_as(
            "WITH inserted AS ( \
                 INSERT INTO posts (title, body, idempotency_key) VALUES ($1, $2, $3) \
                 ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, title, body) \
             SELECT id, title, body FROM inserted \
             UNION ALL \
             SELECT id, title, body FROM posts WHERE idempotency_key = $3 \
             LIMIT 1",
        )
        .bind(post.title)
        .bind(post.body)
        .bind(post.idempotency_key)
        .fetch_one(&self.pool)
        .await
        .map_err(failure)?;
        Ok(into_post(row))
    }

    async fn check(&self) -> Result<(), RepositoryError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(failure)
    }
}
