//! Accounts (feature `accounts`): sign-up with e-mail verification, sign-in, sessions and
//! password reset. The API owns identity; the web app calls these flows with the write token
//! and the visitor's session token, and the API resolves the user itself.
//!
//! Nothing here reveals whether an address has an account: sign-up, resend and reset answer
//! the same for every address (the mails differ), and a sign-in with an unknown address costs
//! the same Argon2 verification as one with a wrong password.

mod hashing;
mod mail;
pub mod policy;
mod store;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;

pub use hashing::{Hasher, HashingError};
pub use store::UserId;

use self::mail::{Mail, Mailer};
use self::store::Purpose;
use self::token::Token;
use crate::config::AccountsConfig;
use crate::posts::{FieldError, RepositoryError};

/// A verification link works this long.
const VERIFY_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// A reset link works this long.
const RESET_TTL: Duration = Duration::from_secs(60 * 60);
/// Failed sign-ins per address before each next one waits (2 s, then doubling).
const FREE_FAILURES: i32 = 5;
/// The longest wait: a delay, never a lock-out the owner cannot outwait.
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(15 * 60);
/// How often expired sessions, used tokens and old throttle rows are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// Why a flow did not give what was asked; the HTTP layer picks the status.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("too many sign-in attempts for this address")]
    Throttled { retry_after_secs: u64 },
    #[error("no session")]
    NoSession,
    #[error(transparent)]
    Hashing(#[from] HashingError),
    #[error(transparent)]
    Storage(#[from] RepositoryError),
    #[error("no randomness from the OS: {0}")]
    Random(String),
}

type Result<T> = std::result::Result<T, AccountError>;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
}

#[derive(Debug, Serialize)]
pub struct SessionInfo {
    /// The opaque token; the web app keeps it in its cookie, the database only its hash.
    pub token: String,
    /// RFC 3339: when the session ends at the latest (it ends sooner when left idle).
    pub expires_at: String,
}

/// A new session and its user, as sign-in and verification answer.
#[derive(Debug, Serialize)]
pub struct SignedIn {
    pub session: SessionInfo,
    pub user: User,
}

pub struct Accounts {
    /// Every write, and reads that must see one (a session just opened, a sign-in).
    primary: PgPool,
    /// Session lookups for reads: a replica in multi-region setups.
    reads: PgPool,
    /// Whether this Machine may write a session's last use (the primary region, or one region).
    touches_sessions: bool,
    hasher: Hasher,
    mailer: Mailer,
    config: AccountsConfig,
}

impl Accounts {
    pub fn new(
        primary: PgPool,
        reads: PgPool,
        touches_sessions: bool,
        config: AccountsConfig,
    ) -> std::result::Result<Arc<Self>, String> {
        let hasher = Hasher::new(config.hashing_concurrency).map_err(|e| e.to_string())?;
        let mailer = Mailer::new(&config.mail, &config.public_url)?;
        Ok(Arc::new(Self {
            primary,
            reads,
            touches_sessions,
            hasher,
            mailer,
            config,
        }))
    }

    /// Deletes what has expired, hourly, for the life of the process.
    pub fn spawn_sweeper(self: &Arc<Self>) {
        let accounts = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            loop {
                every.tick().await;
                let idle = accounts.config.session_idle_timeout;
                if let Err(error) = store::sweep(&accounts.primary, idle).await {
                    tracing::warn!(%error, "could not delete expired sessions and tokens");
                }
            }
        });
    }

    /// The same answer for a new and a taken address; only the mail differs. The password is
    /// hashed either way, so both take the same time. An address not verified yet takes the
    /// newest sign-up's password and its earlier links stop working: whoever signed it up first
    /// (perhaps not its owner) cannot keep a password in an account the owner then verifies.
    pub async fn sign_up(&self, email: &str, password: String) -> Result<()> {
        let email = policy::check_new_account(email, &password).map_err(AccountError::Invalid)?;
        let hash = self.hasher.hash(password).await?;
        if let Some(user) = store::create_user(&self.primary, &email, &hash).await? {
            return self.send_link(user, email, Purpose::Verify).await;
        }
        match store::replace_unverified_password(&self.primary, &email, &hash).await? {
            Some(user) => self.send_link(user, email, Purpose::Verify).await,
            None => {
                self.mailer.send(email, Mail::AlreadyRegistered);
                Ok(())
            }
        }
    }

    /// A new link for an address not verified yet is a link to choose the password (a reset,
    /// which verifies the address): the password set at sign-up may not be the owner's.
    pub async fn resend_verification(&self, email: &str) -> Result<()> {
        let Some(email) = policy::normalize_email(email) else {
            return Ok(());
        };
        match store::find_user(&self.primary, &email).await? {
            Some(user) if !user.verified => self.send_link(user.id, email, Purpose::Reset).await,
            _ => Ok(()),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<SignedIn> {
        let session = new_token()?;
        let max_age = self.config.session_max_age;
        let (id, email, expires_at) =
            store::verify_and_sign_in(&self.primary, &token::hash(token), &session.hash(), max_age)
                .await?
                .ok_or(AccountError::InvalidToken)?;
        Ok(signed_in(session, expires_at, User { id, email }))
    }

    /// Throttled per address first (no hashing for a refused attempt), then one Argon2
    /// verification whether or not the address has an account.
    pub async fn sign_in(&self, email: &str, password: String) -> Result<SignedIn> {
        // No account has an address that is not one; and an unbounded throttle key would fail
        // to index. The same answer as any other refused sign-in.
        let Some(email) = policy::normalize_email(email) else {
            return Err(AccountError::InvalidCredentials);
        };
        let (free, max) = (FREE_FAILURES, MAX_THROTTLE_WAIT);
        if !store::claim_attempt(&self.primary, &email, free, max).await? {
            let retry_after_secs = store::throttle_wait(&self.primary, &email).await?.max(1);
            return Err(AccountError::Throttled { retry_after_secs });
        }
        let user = store::find_user(&self.primary, &email).await?;
        let stored = user.as_ref().map(|user| user.password_hash.clone());
        let password_ok = password.chars().count() <= policy::PASSWORD_MAX_CHARS
            && self.hasher.verify(password, stored).await?;
        // Not verified yet counts as a failure, with the same answer: it must not tell that the
        // address has an account.
        let user = match user {
            Some(user) if password_ok && user.verified => user,
            // Already counted by the claim.
            _ => return Err(AccountError::InvalidCredentials),
        };
        store::clear_failures(&self.primary, &email).await?;
        let session = new_token()?;
        let max_age = self.config.session_max_age;
        let (expires_at, email) =
            store::create_session(&self.primary, user.id, &session.hash(), max_age).await?;
        Ok(signed_in(session, expires_at, User { id: user.id, email }))
    }

    /// The user behind a session token. `from_primary` for writes and for a client that has
    /// just written; other reads may use a replica. Last use is written at most every 5 minutes,
    /// and only where the database takes writes.
    pub async fn current(&self, token: &str, from_primary: bool) -> Result<User> {
        let hash = token::hash(token);
        let pool = if from_primary {
            &self.primary
        } else {
            &self.reads
        };
        let idle = self.config.session_idle_timeout;
        let session = store::find_session(pool, &hash, idle)
            .await?
            .ok_or(AccountError::NoSession)?;
        if session.stale && self.touches_sessions {
            store::touch_session(&self.primary, &hash).await?;
        }
        Ok(User {
            id: session.user_id,
            email: session.email,
        })
    }

    pub async fn sign_out(&self, token: &str) -> Result<()> {
        Ok(store::delete_session(&self.primary, &token::hash(token)).await?)
    }

    pub async fn request_reset(&self, email: &str) -> Result<()> {
        let Some(email) = policy::normalize_email(email) else {
            return Ok(());
        };
        match store::find_user(&self.primary, &email).await? {
            Some(user) => self.send_link(user.id, email, Purpose::Reset).await,
            None => Ok(()),
        }
    }

    /// The password policy first, then the token is checked, the password hashed, and the
    /// token used up with everything else in one transaction.
    pub async fn reset(&self, token: &str, password: String) -> Result<()> {
        policy::check_password(&password).map_err(|error| AccountError::Invalid(vec![error]))?;
        let token = token::hash(token);
        if store::token_user(&self.primary, Purpose::Reset, &token)
            .await?
            .is_none()
        {
            return Err(AccountError::InvalidToken);
        }
        let hash = self.hasher.hash(password).await?;
        match store::reset_password(&self.primary, &token, &hash).await? {
            true => Ok(()),
            false => Err(AccountError::InvalidToken),
        }
    }

    async fn send_link(&self, user: UserId, email: String, purpose: Purpose) -> Result<()> {
        let token = new_token()?;
        let ttl = match purpose {
            Purpose::Verify => VERIFY_TTL,
            Purpose::Reset => RESET_TTL,
        };
        store::add_token(&self.primary, user, purpose, &token.hash(), ttl).await?;
        let mail = match purpose {
            Purpose::Verify => Mail::Verify { token },
            Purpose::Reset => Mail::Reset { token },
        };
        self.mailer.send(email, mail);
        Ok(())
    }
}

fn new_token() -> Result<Token> {
    Token::generate().map_err(|error| AccountError::Random(error.to_string()))
}

fn signed_in(session: Token, expires_at: String, user: User) -> SignedIn {
    SignedIn {
        session: SessionInfo {
            token: session.as_str().to_owned(),
            expires_at,
        },
        user,
    }
}
