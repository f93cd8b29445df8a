//! The HTTP API: a posts feature written in the Composable Rust style and served by Axum.
//!
//! `composable` is the small architecture core (Reducer, Effect, Store); `posts` is the feature
//! (Action, Reducer, Effect, Environment, State); `repository` implements the environment's
//! traits; `http` translates requests into actions and states into responses; `metrics` serves
//! what they record to Prometheus; `accounts` (feature `accounts`) holds users and sessions.

#[cfg(feature = "accounts")]
pub mod accounts;
pub mod composable;
pub mod config;
pub mod http;
pub mod metrics;
pub mod posts;
pub mod repository;
pub mod server;
pub mod telemetry;
