//! The accounts tables (migration 0004) through sqlx. Every token is looked up by its SHA-256.

use std::time::Duration;

use sqlx::PgPool;

use super::token::TokenHash;
use crate::posts::RepositoryError;
use crate::repository::postgres::failure;

pub type UserId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub password_hash: String,
    pub verified: bool,
}

/// A session resolved from its token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: UserId,
    pub email: String,
    /// Last used more than `TOUCH_EVERY` ago: worth writing down the new use.
    pub stale: bool,
}

/// How coarse the last-use time is: one write per session per 5 minutes at most.
pub const TOUCH_EVERY_SECS: f64 = 300.0;

type Result<T> = std::result::Result<T, RepositoryError>;

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// The new user's id, or `None` when the address has an account already.
pub async fn create_user(
    pool: &PgPool,
    email: &str,
    password_hash: &str,
) -> Result<Option<UserId>> {
    sqlx::query_scalar(
        "INSERT INTO users (email, password_hash) VALUES ($1, $2) \
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .fetch_optional(pool)
    .await
    .map_err(failure)
}

/// Sets the password of an address that is not verified yet and retires its verification
/// links; `None` when the address is verified (or has no account).
pub async fn replace_unverified_password(
    pool: &PgPool,
    email: &str,
    password_hash: &str,
) -> Result<Option<UserId>> {
    let mut transaction = pool.begin().await.map_err(failure)?;
    let user: Option<UserId> = sqlx::query_scalar(
        "UPDATE users SET password_hash = $2 \
         WHERE lower(email) = lower($1) AND verified_at IS NULL RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .fetch_optional(&mut *transaction)
    .await
    .map_err(failure)?;
    if let Some(user) = user {
        sqlx::query(
            "UPDATE account_tokens SET used_at = now() \
             WHERE user_id = $1 AND purpose = 'verify' AND used_at IS NULL",
        )
        .bind(user)
        .execute(&mut *transaction)
        .await
        .map_err(failure)?;
    }
    transaction.commit().await.map_err(failure)?;
    Ok(user)
}

pub async fn find_user(pool: &PgPool, email: &str) -> Result<Option<UserRow>> {
    sqlx::query_as(
        "SELECT id, password_hash, verified_at IS NOT NULL AS verified FROM users \
         WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
    .map_err(failure)
}

pub async fn add_token(
    pool: &PgPool,
    user: UserId,
    purpose: Purpose,
    hash: &TokenHash,
    ttl: Duration,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
    )
    .bind(hash.as_slice())
    .bind(user)
    .bind(purpose.as_str())
    .bind(secs(ttl))
    .execute(pool)
    .await
    .map(drop)
    .map_err(failure)
}

/// The user a usable (unused, unexpired) token belongs to, without using it up.
pub async fn token_user(
    pool: &PgPool,
    purpose: Purpose,
    hash: &TokenHash,
) -> Result<Option<UserId>> {
    sqlx::query_scalar(
        "SELECT user_id FROM account_tokens WHERE token_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > now()",
    )
    .bind(hash.as_slice())
    .bind(purpose.as_str())
    .fetch_optional(pool)
    .await
    .map_err(failure)
}

/// Uses the token up; `None` when it was unknown, used or expired (also by a concurrent use).
async fn consume_token(
    tx: &mut sqlx::PgConnection,
    purpose: Purpose,
    hash: &TokenHash,
) -> Result<Option<UserId>> {
    sqlx::query_scalar(
        "UPDATE account_tokens SET used_at = now() WHERE token_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > now() RETURNING user_id",
    )
    .bind(hash.as_slice())
    .bind(purpose.as_str())
    .fetch_optional(tx)
    .await
    .map_err(failure)
}

/// A new session; its absolute expiry as RFC 3339.
async fn insert_session(
    tx: &mut sqlx::PgConnection,
    user: UserId,
    hash: &TokenHash,
    max_age: Duration,
) -> Result<(String, String)> {
    // `expires_at` as RFC 3339 in UTC, formatted by PostgreSQL: no date crate needed.
    sqlx::query_as(
        r#"WITH created AS (INSERT INTO sessions (token_hash, user_id, expires_at)
           VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING user_id, expires_at)
           SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), users.email
           FROM created JOIN users ON users.id = created.user_id"#,
    )
    .bind(hash.as_slice())
    .bind(user)
    .bind(secs(max_age))
    .fetch_one(tx)
    .await
    .map_err(failure)
}

/// A session for a user whose password was just checked: (expires_at, email).
pub async fn create_session(
    pool: &PgPool,
    user: UserId,
    hash: &TokenHash,
    max_age: Duration,
) -> Result<(String, String)> {
    let mut connection = pool.acquire().await.map_err(failure)?;
    insert_session(&mut connection, user, hash, max_age).await
}

/// Verifies the address the token was sent to and opens a session, or `None` for a bad token.
/// The user's other verification links stop working: one verification, one session.
pub async fn verify_and_sign_in(
    pool: &PgPool,
    token: &TokenHash,
    session: &TokenHash,
    max_age: Duration,
) -> Result<Option<(UserId, String, String)>> {
    let mut tx = pool.begin().await.map_err(failure)?;
    let Some(user) = consume_token(&mut tx, Purpose::Verify, token).await? else {
        return Ok(None);
    };
    for statement in [
        "UPDATE users SET verified_at = coalesce(verified_at, now()) WHERE id = $1",
        "UPDATE account_tokens SET used_at = now() \
         WHERE user_id = $1 AND purpose = 'verify' AND used_at IS NULL",
    ] {
        sqlx::query(statement)
            .bind(user)
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
    }
    let (expires_at, email) = insert_session(&mut tx, user, session, max_age).await?;
    tx.commit().await.map_err(failure)?;
    Ok(Some((user, email, expires_at)))
}

/// Sets the password, verifies the address (the mail reached it), uses up every reset token of
/// the user, ends all their sessions and lifts the sign-in throttle of the address (the owner
/// signs in with the new password at once). `false` for a bad token.
pub async fn reset_password(pool: &PgPool, token: &TokenHash, password_hash: &str) -> Result<bool> {
    let mut tx = pool.begin().await.map_err(failure)?;
    let Some(user) = consume_token(&mut tx, Purpose::Reset, token).await? else {
        return Ok(false);
    };
    sqlx::query("UPDATE users SET password_hash = $2, verified_at = coalesce(verified_at, now()) WHERE id = $1")
        .bind(user)
        .bind(password_hash)
        .execute(&mut *tx)
        .await
        .map_err(failure)?;
    for statement in [
        "UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM sign_in_throttle WHERE email = (SELECT lower(email) FROM users WHERE id = $1)",
    ] {
        sqlx::query(statement)
            .bind(user)
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
    }
    tx.commit().await.map_err(failure)?;
    Ok(true)
}

/// The session behind a token, unless it has expired (absolute) or gone idle.
pub async fn find_session(
    pool: &PgPool,
    hash: &TokenHash,
    idle: Duration,
) -> Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT sessions.user_id, users.email, \
         sessions.last_used_at < now() - make_interval(secs => $3) AS stale \
         FROM sessions JOIN users ON users.id = sessions.user_id \
         WHERE token_hash = $1 AND expires_at > now() \
         AND last_used_at > now() - make_interval(secs => $2)",
    )
    .bind(hash.as_slice())
    .bind(secs(idle))
    .bind(TOUCH_EVERY_SECS)
    .fetch_optional(pool)
    .await
    .map_err(failure)
}

pub async fn touch_session(pool: &PgPool, hash: &TokenHash) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_used_at = now() WHERE token_hash = $1")
        .bind(hash.as_slice())
        .execute(pool)
        .await
        .map(drop)
        .map_err(failure)
}

pub async fn delete_session(pool: &PgPool, hash: &TokenHash) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(hash.as_slice())
        .execute(pool)
        .await
        .map(drop)
        .map_err(failure)
}

/// Seconds until this address may try again; 0 when it may now.
pub async fn throttle_wait(pool: &PgPool, email: &str) -> Result<u64> {
    let wait: Option<f64> = sqlx::query_scalar(
        "SELECT ceil(extract(epoch FROM blocked_until - now()))::float8 FROM sign_in_throttle \
         WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
    .map_err(failure)?;
    Ok(wait.map_or(0, |seconds| seconds.max(0.0) as u64))
}

/// Claims one sign-in attempt for the address before any hashing; it counts as a failure until
/// a success clears it (`clear_failures`), so guesses sent at once cannot all pass one check: the
/// row stays locked from the claim to the commit. The count starts again an hour after the last
/// attempt; past the first `free`, each attempt must wait twice as long as the one before, up to
/// `max`. `false` when the address must wait.
pub async fn claim_attempt(pool: &PgPool, email: &str, free: i32, max: Duration) -> Result<bool> {
    let mut tx = pool.begin().await.map_err(failure)?;
    let claimed: Option<i32> = sqlx::query_scalar(
        "INSERT INTO sign_in_throttle AS t (email, failures) VALUES ($1, 1) \
         ON CONFLICT (email) DO UPDATE SET \
           failures = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN 1 \
                      ELSE t.failures + 1 END, \
           last_failure_at = now() \
         WHERE t.blocked_until <= now() \
         RETURNING failures",
    )
    .bind(email)
    .fetch_optional(&mut *tx)
    .await
    .map_err(failure)?;
    if claimed.is_some() {
        sqlx::query(
            "UPDATE sign_in_throttle SET blocked_until = now() + make_interval(secs => \
               CASE WHEN failures > $2 THEN least($3, power(2, least(failures - $2, 30))) ELSE 0 END) \
             WHERE email = $1",
        )
        .bind(email)
        .bind(free)
        .bind(secs(max))
        .execute(&mut *tx)
        .await
        .map_err(failure)?;
    }
    tx.commit().await.map_err(failure)?;
    Ok(claimed.is_some())
}

pub async fn clear_failures(pool: &PgPool, email: &str) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE email = $1")
        .bind(email)
        .execute(pool)
        .await
        .map(drop)
        .map_err(failure)
}

/// Removes what can no longer be used: expired sessions and tokens, old throttle rows.
pub async fn sweep(pool: &PgPool, idle: Duration) -> Result<()> {
    sqlx::query(
        "DELETE FROM sessions WHERE expires_at < now() \
         OR last_used_at < now() - make_interval(secs => $1)",
    )
    .bind(secs(idle))
    .execute(pool)
    .await
    .map_err(failure)?;
    for statement in [
        "DELETE FROM account_tokens WHERE expires_at < now() - interval '1 day'",
        "DELETE FROM sign_in_throttle WHERE blocked_until < now() - interval '1 day'",
    ] {
        sqlx::query(statement)
            .execute(pool)
            .await
            .map_err(failure)?;
    }
    Ok(())
}
