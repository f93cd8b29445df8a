//! Implementations of the environment's traits.

pub mod memory;
