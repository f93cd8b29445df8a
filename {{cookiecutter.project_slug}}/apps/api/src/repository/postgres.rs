//! Posts in PostgreSQL through sqlx pools, with the migrations embedded in the binary.
//! Writes always use the primary's pool; reads use a replica's when one is given.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use metrics::{counter, gauge, histogram};
use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgPoolOptions;

use crate::config::{DEFAULT_IDEMPOTENCY_KEY_TTL, DatabaseConfig};
use crate::metrics::{
    DB_POOL_CONNECTIONS, DB_POOL_MAX_CONNECTIONS, DB_QUERY_DURATION, DB_QUERY_ERRORS,
};
use crate::posts::{LIST_LIMIT, NewPost, Post, PostId, PostRepository, RepositoryError};

/// PostgreSQL's SQLSTATE for a write sent to a server that only reads (a hot standby, or a
/// session or server in read-only mode): `read_only_sql_transaction`.
const READ_ONLY_SQL_TRANSACTION: &str = "25006";

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

/// A pool and its name in the metrics.
#[derive(Clone)]
struct Pool {
    pool: PgPool,
    name: &'static str,
}

impl Pool {
    /// Runs one query, recording its duration and, if it fails, the failure.
    async fn timed<T>(
        &self,
        operation: &'static str,
        query: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, RepositoryError> {
        let started = Instant::now();
        let result = query.await.map_err(failure);
        let labels = [("operation", operation), ("pool", self.name)];
        histogram!(DB_QUERY_DURATION, &labels).record(started.elapsed());
        if let Err(error) = &result {
            let kind = match error {
                RepositoryError::ReadOnly(_) => "read_only",
                _ => "other",
            };
            counter!(DB_QUERY_ERRORS, "operation" => operation, "pool" => self.name, "kind" => kind)
                .increment(1);
        }
        result
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        let query = sqlx::query("SELECT 1").execute(&self.pool);
        self.timed("check", query).await.map(drop)
    }

    fn record_usage(&self) {
        let size = self.pool.size() as f64;
        let idle = self.pool.num_idle() as f64;
        let max = f64::from(self.pool.options().get_max_connections());
        gauge!(DB_POOL_CONNECTIONS, "pool" => self.name, "state" => "idle").set(idle);
        gauge!(DB_POOL_CONNECTIONS, "pool" => self.name, "state" => "in_use").set(size - idle);
        gauge!(DB_POOL_MAX_CONNECTIONS, "pool" => self.name).set(max);
    }
}

#[derive(Clone)]
pub struct PgPostRepository {
    reads: Pool,
    writes: Pool,
    /// How long a post's idempotency key is remembered (from its `created_at`).
    key_ttl: Duration,
}

impl PgPostRepository {
    /// Reads and writes on the primary.
    pub fn new(primary: PgPool) -> Self {
        let primary = Pool {
            pool: primary,
            name: "primary",
        };
        Self {
            reads: primary.clone(),
            writes: primary,
            key_ttl: DEFAULT_IDEMPOTENCY_KEY_TTL,
        }
    }

    /// Idempotency keys are forgotten `ttl` after their post was created.
    pub fn with_idempotency_key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = ttl;
        self
    }

    /// Frees every key older than the time to live (migration 0003 indexes them by age), so
    /// an expired key can create a post again and the unique index does not grow forever.
    async fn expire_keys(&self) -> Result<(), RepositoryError> {
        let query = sqlx::query(
            "UPDATE posts SET idempotency_key = NULL \
             WHERE idempotency_key IS NOT NULL AND created_at < now() - make_interval(secs => $1)",
        )
        .bind(self.key_ttl.as_secs_f64())
        .execute(&self.writes.pool);
        self.writes.timed("expire_keys", query).await.map(drop)
    }

    /// The post `key` created, read in a statement of its own: it sees a concurrent create
    /// with the same key that committed while ours waited on it.
    async fn find_by_key(&self, key: &str) -> Result<Option<Post>, RepositoryError> {
        let query = sqlx::query_as("SELECT id, title, body FROM posts WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&self.writes.pool);
        let row: Option<PostRow> = self.writes.timed("find_by_key", query).await?;
        Ok(row.map(into_post))
    }

    /// Reads on `replica`, writes on `primary`.
    pub fn with_read_replica(primary: PgPool, replica: PgPool) -> Self {
        Self {
            reads: Pool {
                pool: replica,
                name: "replica",
            },
            ..Self::new(primary)
        }
    }

    /// Sets the pool gauges; the metrics server calls it before each scrape.
    pub fn record_pool_usage(&self) {
        self.writes.record_usage();
        if self.reads.name != self.writes.name {
            self.reads.record_usage();
        }
    }
}

// Feature `accounts` also writes the author, bound last ($3 or $4); without it the schema has
// no author column (the accounts migration adds it).
#[cfg(feature = "accounts")]
const INSERT: &str =
    "INSERT INTO posts (title, body, author_id) VALUES ($1, $2, $3) RETURNING id, title, body";
#[cfg(not(feature = "accounts"))]
const INSERT: &str = "INSERT INTO posts (title, body) VALUES ($1, $2) RETURNING id, title, body";

/// One statement either inserts, or (same key seen before) reads the earlier row.
#[cfg(feature = "accounts")]
const INSERT_KEYED: &str = "WITH inserted AS ( \
        INSERT INTO posts (title, body, idempotency_key, author_id) VALUES ($1, $2, $3, $4) \
        ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, title, body) \
    SELECT id, title, body FROM inserted \
    UNION ALL \
    SELECT id, title, body FROM posts WHERE idempotency_key = $3 \
    LIMIT 1";
#[cfg(not(feature = "accounts"))]
const INSERT_KEYED: &str = "WITH inserted AS ( \
        INSERT INTO posts (title, body, idempotency_key) VALUES ($1, $2, $3) \
        ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, title, body) \
    SELECT id, title, body FROM inserted \
    UNION ALL \
    SELECT id, title, body FROM posts WHERE idempotency_key = $3 \
    LIMIT 1";

type PostRow = (PostId, String, String);

fn into_post((id, title, body): PostRow) -> Post {
    Post { id, title, body }
}

/// A failed query as the repositories report it: read-only refusals apart (they are replayed).
pub(crate) fn failure(error: sqlx::Error) -> RepositoryError {
    let code = error.as_database_error().and_then(|error| error.code());
    let message = format!("postgres: {error}");
    if code.as_deref() == Some(READ_ONLY_SQL_TRANSACTION) {
        RepositoryError::ReadOnly(message)
    } else {
        RepositoryError::Unavailable(message)
    }
}

#[async_trait]
impl PostRepository for PgPostRepository {
    async fn list(&self) -> Result<Vec<Post>, RepositoryError> {
        let query = sqlx::query_as("SELECT id, title, body FROM posts ORDER BY id DESC LIMIT $1")
            .bind(LIST_LIMIT as i64)
            .fetch_all(&self.reads.pool);
        let rows: Vec<PostRow> = self.reads.timed("list", query).await?;
        Ok(rows.into_iter().map(into_post).collect())
    }

    async fn find(&self, id: PostId) -> Result<Option<Post>, RepositoryError> {
        let query = sqlx::query_as("SELECT id, title, body FROM posts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reads.pool);
        let row: Option<PostRow> = self.reads.timed("find", query).await?;
        Ok(row.map(into_post))
    }

    async fn insert(&self, post: NewPost) -> Result<Post, RepositoryError> {
        let Some(key) = post.idempotency_key.clone() else {
            let query = sqlx::query_as(INSERT).bind(&post.title).bind(&post.body);
            #[cfg(feature = "accounts")]
            let query = query.bind(post.author_id);
            let query = query.fetch_one(&self.writes.pool);
            let row: PostRow = self.writes.timed("insert", query).await?;
            return Ok(into_post(row));
        };
        self.expire_keys().await?;
        let query = sqlx::query_as(INSERT_KEYED)
            .bind(&post.title)
            .bind(&post.body)
            .bind(&key);
        #[cfg(feature = "accounts")]
        let query = query.bind(post.author_id);
        let query = query.fetch_optional(&self.writes.pool);
        let row: Option<PostRow> = self.writes.timed("insert", query).await?;
        // No row: a concurrent create with this key committed after our statement began.
        let stored = match row {
            Some(row) => into_post(row),
            None => self
                .find_by_key(&key)
                .await?
                .ok_or(RepositoryError::KeyInUse)?,
        };
        if post.is_retry_of(&stored) {
            Ok(stored)
        } else {
            Err(RepositoryError::KeyReused)
        }
    }

    /// Both pools when there are two: reads need one, writes and fresh reads the other.
    async fn check(&self) -> Result<(), RepositoryError> {
        self.reads.ping().await?;
        if self.reads.name != self.writes.name {
            self.writes.ping().await?;
        }
        Ok(())
    }
}
