//! Argon2id password hashing off the async runtime, bounded so a flood of sign-ins cannot take
//! every blocking thread or all memory: `concurrency` hashes run at once (19 MiB each), four
//! times as many wait, and the rest are refused at once (503 with Retry-After).

use std::sync::Arc;
use std::time::Instant;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use metrics::{counter, histogram};
use tokio::sync::Semaphore;

use crate::metrics::{PASSWORD_HASHING_DURATION, PASSWORD_VERIFICATIONS};

/// OWASP's first Argon2id choice: 19 MiB, 2 iterations, 1 lane; the same in tests.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;
/// How many hashes may wait per one that runs.
const WAITING_PER_RUNNING: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Every slot is taken and the queue is full: the caller answers 503.
    #[error("password hashing is saturated")]
    Saturated,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

#[derive(Clone)]
pub struct Hasher {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    /// The hash an unknown address is checked against, so it costs what a known one does.
    dummy: Arc<String>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("OWASP's parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &[u8]) -> Result<String, HashingError> {
    argon2()
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|error| HashingError::Failed(error.to_string()))
}

/// Whether `password` matches the PHC string; an unreadable stored hash matches nothing.
fn verify_blocking(password: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| argon2().verify_password(password, &hash).is_ok())
}

impl Hasher {
    pub fn new(concurrency: usize) -> Result<Self, HashingError> {
        // Random, never stored: no password matches it, and it has the parameters of real ones.
        let unguessable = crate::accounts::token::Token::generate()
            .map_err(|error| HashingError::Failed(error.to_string()))?;
        Ok(Self {
            running: Arc::new(Semaphore::new(concurrency)),
            admitted: Arc::new(Semaphore::new(concurrency * (1 + WAITING_PER_RUNNING))),
            dummy: Arc::new(hash_blocking(unguessable.as_str().as_bytes())?),
        })
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: String) -> Result<String, HashingError> {
        self.run("hash", move || hash_blocking(password.as_bytes()))
            .await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no account:
    /// both cost one Argon2 verification, which `password_verifications_total` counts.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashingError> {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy.as_ref().clone());
        let matches = self
            .run("verify", move || verify_blocking(password.as_bytes(), &phc))
            .await?;
        counter!(PASSWORD_VERIFICATIONS).increment(1);
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| HashingError::Saturated)?;
        let _running = self
            .running
            .acquire()
            .await
            .map_err(|_| HashingError::Saturated)?;
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(work)
            .await
            .map_err(|error| HashingError::Failed(error.to_string()))?;
        histogram!(PASSWORD_HASHING_DURATION, "operation" => operation).record(started.elapsed());
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = Hasher::new(1).unwrap();
        let phc = hasher
            .hash("correct horse battery staple".into())
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let verify =
            |password: &str, stored: Option<String>| hasher.verify(password.into(), stored);
        assert!(
            verify("correct horse battery staple", Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("wrong horse battery staple", Some(phc))
                .await
                .unwrap()
        );
        // No account: the dummy hash is checked and nothing matches it.
        assert!(!verify("correct horse battery staple", None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once() {
        let hasher = Hasher::new(1).unwrap();
        let held: Vec<_> = (0..5)
            .map(|_| hasher.admitted.clone().try_acquire_owned().unwrap())
            .collect();
        assert!(matches!(
            hasher.hash("x".into()).await,
            Err(HashingError::Saturated)
        ));
        drop(held);
        assert!(hasher.hash("x".into()).await.is_ok());
    }
}
