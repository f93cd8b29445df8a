use crate::composable::Reducer;

use super::{
    BODY_MAX_CHARS, FieldError, NewPost, PostDraft, PostId, PostsAction, PostsEffect,
    PostsEnvironment, PostsOutcome, PostsState, TITLE_MAX_CHARS,
};

/// All of the posts feature's decisions: validation, what to load, what a result means.
#[derive(Debug, Default, Clone, Copy)]
pub struct PostsReducer;

impl Reducer for PostsReducer {
    type State = PostsState;
    type Action = PostsAction;
    type Environment = PostsEnvironment;
    type Effect = PostsEffect;

    fn reduce(
        &self,
        state: &mut PostsState,
        action: PostsAction,
        _environment: &PostsEnvironment,
    ) -> Vec<PostsEffect> {
        match action {
            PostsAction::ListRequested => vec![PostsEffect::LoadList],
            PostsAction::DetailRequested { id } => match parse_id(&id) {
                Some(id) => vec![PostsEffect::LoadDetail(id)],
                None => settle(state, PostsOutcome::NotFound),
            },
            PostsAction::CreateRequested(draft) => match validate(draft) {
                Ok(post) => vec![PostsEffect::Store(post)],
                Err(errors) => settle(state, PostsOutcome::Invalid(errors)),
            },
            PostsAction::ListLoaded(result) => settle(
                state,
                result.map_or_else(PostsOutcome::Unavailable, PostsOutcome::Listed),
            ),
            PostsAction::DetailLoaded(result) => settle(
                state,
                match result {
                    Ok(Some(post)) => PostsOutcome::Found(post),
                    Ok(None) => PostsOutcome::NotFound,
                    Err(error) => PostsOutcome::Unavailable(error),
                },
            ),
            PostsAction::PostStored(result) => settle(
                state,
                result.map_or_else(PostsOutcome::Unavailable, PostsOutcome::Created),
            ),
        }
    }
}

fn settle(state: &mut PostsState, outcome: PostsOutcome) -> Vec<PostsEffect> {
    state.outcome = Some(outcome);
    Vec::new()
}

/// Ids are positive integers; anything else cannot name a post, so it is a 404, not a 400.
fn parse_id(raw: &str) -> Option<PostId> {
    raw.parse::<PostId>().ok().filter(|id| *id > 0)
}

fn validate(draft: PostDraft) -> Result<NewPost, Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = required_text(&mut errors, "title", draft.title, TITLE_MAX_CHARS);
    let body = required_text(&mut errors, "body", draft.body, BODY_MAX_CHARS);
    match (title, body) {
        (Some(title), Some(body)) if errors.is_empty() => Ok(NewPost { title, body }),
        _ => Err(errors),
    }
}

fn required_text(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: Option<String>,
    max_chars: usize,
) -> Option<String> {
    let message = match value.as_deref().map(str::trim) {
        None => "is required".to_owned(),
        Some("") => "must not be blank".to_owned(),
        Some(text) if text.chars().count() > max_chars => {
            format!("must be at most {max_chars} characters")
        }
        Some(text) => return Some(text.to_owned()),
    };
    errors.push(FieldError { field, message });
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::posts::{Post, RepositoryError};
    use crate::repository::memory::MemoryPostRepository;

    // The reducer never touches the environment, so an empty in-memory repository is enough.
    fn environment() -> PostsEnvironment {
        PostsEnvironment {
            repository: Arc::new(MemoryPostRepository::empty()),
        }
    }

    fn reduce(state: &mut PostsState, action: PostsAction) -> Vec<PostsEffect> {
        PostsReducer.reduce(state, action, &environment())
    }

    fn draft(title: Option<&str>, body: Option<&str>) -> PostDraft {
        PostDraft {
            title: title.map(str::to_owned),
            body: body.map(str::to_owned),
        }
    }

    fn post(id: PostId) -> Post {
        Post {
            id,
            title: format!("Post {id}"),
            body: "Body".to_owned(),
        }
    }

    #[test]
    fn list_request_asks_for_the_list_and_leaves_the_outcome_open() {
        let mut state = PostsState::default();
        assert_eq!(
            reduce(&mut state, PostsAction::ListRequested),
            vec![PostsEffect::LoadList]
        );
        assert_eq!(state.outcome, None);
    }

    #[test]
    fn loaded_list_becomes_the_outcome() {
        let mut state = PostsState::default();
        let effects = reduce(
            &mut state,
            PostsAction::ListLoaded(Ok(vec![post(1), post(2)])),
        );
        assert!(effects.is_empty());
        assert_eq!(
            state.outcome,
            Some(PostsOutcome::Listed(vec![post(1), post(2)]))
        );
    }

    #[test]
    fn numeric_id_asks_for_that_post() {
        let mut state = PostsState::default();
        let action = PostsAction::DetailRequested {
            id: "42".to_owned(),
        };
        assert_eq!(
            reduce(&mut state, action),
            vec![PostsEffect::LoadDetail(42)]
        );
    }

    #[test]
    fn ids_that_cannot_exist_are_not_found_without_loading() {
        for id in ["0", "-3", "abc", "1.5", "", "99999999999999999999"] {
            let mut state = PostsState::default();
            let action = PostsAction::DetailRequested { id: id.to_owned() };
            assert!(
                reduce(&mut state, action).is_empty(),
                "id {id:?} was loaded"
            );
            assert_eq!(state.outcome, Some(PostsOutcome::NotFound), "id {id:?}");
        }
    }

    #[test]
    fn missing_post_is_not_found() {
        let mut state = PostsState::default();
        reduce(&mut state, PostsAction::DetailLoaded(Ok(None)));
        assert_eq!(state.outcome, Some(PostsOutcome::NotFound));
    }

    #[test]
    fn found_post_becomes_the_outcome() {
        let mut state = PostsState::default();
        reduce(&mut state, PostsAction::DetailLoaded(Ok(Some(post(7)))));
        assert_eq!(state.outcome, Some(PostsOutcome::Found(post(7))));
    }

    #[test]
    fn valid_draft_is_stored_trimmed() {
        let mut state = PostsState::default();
        let action = PostsAction::CreateRequested(draft(Some("  Hello  "), Some("World\n")));
        let expected = NewPost {
            title: "Hello".to_owned(),
            body: "World".to_owned(),
        };
        assert_eq!(
            reduce(&mut state, action),
            vec![PostsEffect::Store(expected)]
        );
        assert_eq!(state.outcome, None);
    }

    #[test]
    fn draft_errors_name_every_bad_field() {
        let mut state = PostsState::default();
        let effects = reduce(
            &mut state,
            PostsAction::CreateRequested(draft(None, Some("   "))),
        );
        assert!(effects.is_empty());
        let Some(PostsOutcome::Invalid(errors)) = state.outcome else {
            panic!("expected Invalid, got {:?}", state.outcome);
        };
        let fields: Vec<_> = errors
            .iter()
            .map(|error| (error.field, error.message.as_str()))
            .collect();
        assert_eq!(
            fields,
            [("title", "is required"), ("body", "must not be blank")]
        );
    }

    #[test]
    fn overlong_title_is_refused_by_character_count() {
        let at_limit = "é".repeat(TITLE_MAX_CHARS);
        let mut state = PostsState::default();
        let effects = reduce(
            &mut state,
            PostsAction::CreateRequested(draft(Some(&at_limit), Some("b"))),
        );
        assert_eq!(
            effects.len(),
            1,
            "a title of exactly {TITLE_MAX_CHARS} characters is valid"
        );

        let over = format!("{at_limit}é");
        let mut state = PostsState::default();
        reduce(
            &mut state,
            PostsAction::CreateRequested(draft(Some(&over), Some("b"))),
        );
        let Some(PostsOutcome::Invalid(errors)) = state.outcome else {
            panic!("expected Invalid, got {:?}", state.outcome);
        };
        assert_eq!(errors[0].field, "title");
        assert_eq!(
            errors[0].message,
            format!("must be at most {TITLE_MAX_CHARS} characters")
        );
    }

    #[test]
    fn stored_post_is_created() {
        let mut state = PostsState::default();
        reduce(&mut state, PostsAction::PostStored(Ok(post(3))));
        assert_eq!(state.outcome, Some(PostsOutcome::Created(post(3))));
    }

    #[test]
    fn repository_failures_make_the_feature_unavailable() {
        let failure = || RepositoryError("connection refused".to_owned());
        for action in [
            PostsAction::ListLoaded(Err(failure())),
            PostsAction::DetailLoaded(Err(failure())),
            PostsAction::PostStored(Err(failure())),
        ] {
            let mut state = PostsState::default();
            reduce(&mut state, action);
            assert_eq!(state.outcome, Some(PostsOutcome::Unavailable(failure())));
        }
    }
}
