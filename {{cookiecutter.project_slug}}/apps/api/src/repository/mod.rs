//! Implementations of the environment's traits: PostgreSQL, and memory for tests and for
//! builds without the `postgres` feature.

pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
