//! The Composable Rust core: the five nouns every feature is written with.
//!
//! - **State**: the data a feature works on (`Reducer::State`).
//! - **Action**: everything that can happen to it: requests and the results of effects.
//! - **Reducer**: a pure function `(state, action, environment) -> effects`; all business logic.
//! - **Effect**: a description of side-effecting work, run by the [`Store`], never by the reducer.
//! - **Environment**: the injected dependencies (traits), so tests can run the reducer with no I/O.

mod store;

pub use store::Store;

/// The business logic of one feature. Implementations must not perform I/O: they update the
/// state and return descriptions of the work to do next.
pub trait Reducer {
    type State;
    type Action;
    type Environment;
    type Effect: Effect<Action = Self::Action, Environment = Self::Environment>;

    fn reduce(
        &self,
        state: &mut Self::State,
        action: Self::Action,
        environment: &Self::Environment,
    ) -> Vec<Self::Effect>;
}

/// Side-effecting work described as data. The store runs it against the environment and feeds
/// the resulting action back into the reducer.
pub trait Effect: Send {
    type Action;
    type Environment;

    fn run(self, environment: &Self::Environment) -> impl Future<Output = Self::Action> + Send;
}
