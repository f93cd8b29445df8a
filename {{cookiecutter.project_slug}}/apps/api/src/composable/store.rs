use std::collections::VecDeque;

use super::{Effect, Reducer};

/// The runtime: applies an action, runs the effects the reducer returns and feeds their actions
/// back until there is no more work. The state is passed in, so one store serves every request.
pub struct Store<R: Reducer> {
    reducer: R,
    environment: R::Environment,
}

impl<R> Store<R>
where
    R: Reducer + Sync,
    R::State: Send,
    R::Action: Send,
    R::Environment: Sync,
{
    pub fn new(reducer: R, environment: R::Environment) -> Self {
        Self {
            reducer,
            environment,
        }
    }

    /// Runs `action` to completion on `state` and returns the final state.
    pub async fn send(&self, mut state: R::State, action: R::Action) -> R::State {
        let mut pending = VecDeque::from([action]);
        while let Some(action) = pending.pop_front() {
            for effect in self.reducer.reduce(&mut state, action, &self.environment) {
                pending.push_back(effect.run(&self.environment).await);
            }
        }
        state
    }
}
