//! The Composable Rust core: the five nouns every feature is written with.
//!
//! - **Action**: what happens: a request, or the result of an effect.
//! - **Reducer**: a pure function from an action to the next step; all business logic.
//! - **Effect**: side-effecting work described as data, run by the [`Store`], never by the reducer.
//! - **Environment**: the injected dependencies effects run against, so tests need no I/O.
//! - **State**: where the feature settles: the value the caller gets back.

/// What a reducer decides after one action.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<E, S> {
    /// Run this effect; the action it produces goes back into the reducer.
    Run(E),
    /// Finished: this is the state the caller receives.
    Done(S),
}

/// The business logic of one feature. Implementations perform no I/O.
pub trait Reducer {
    type Action;
    type State;
    type Effect: Effect<Action = Self::Action>;

    fn reduce(&self, action: Self::Action) -> Step<Self::Effect, Self::State>;
}

/// Work described as data; the store runs it against the environment.
pub trait Effect: Send {
    type Action;
    type Environment;

    fn run(self, environment: &Self::Environment) -> impl Future<Output = Self::Action> + Send;
}

type EnvironmentOf<R> = <<R as Reducer>::Effect as Effect>::Environment;

/// The runtime: feeds each effect's action back into the reducer until it settles.
/// It holds no per-request data, so one store serves every request.
pub struct Store<R: Reducer> {
    reducer: R,
    environment: EnvironmentOf<R>,
}

impl<R: Reducer> Store<R> {
    pub fn new(reducer: R, environment: EnvironmentOf<R>) -> Self {
        Self {
            reducer,
            environment,
        }
    }

    pub async fn send(&self, mut action: R::Action) -> R::State {
        loop {
            match self.reducer.reduce(action) {
                Step::Done(state) => return state,
                Step::Run(effect) => action = effect.run(&self.environment).await,
            }
        }
    }
}
