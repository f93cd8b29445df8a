use super::{
    BODY_MAX_CHARS, FieldError, IDEMPOTENCY_KEY_MAX_CHARS, NewPost, PostDraft, PostId, PostsAction,
    PostsEffect, PostsState, RepositoryError, TITLE_MAX_CHARS,
};
use crate::composable::{Reducer, Step};

/// All of the posts feature's decisions: validation, what to load, what a result means.
#[derive(Debug, Default, Clone, Copy)]
pub struct PostsReducer;

type PostsStep = Step<PostsEffect, PostsState>;

impl Reducer for PostsReducer {
    type Action = PostsAction;
    type State = PostsState;
    type Effect = PostsEffect;

    fn reduce(&self, action: PostsAction) -> PostsStep {
        match action {
            PostsAction::ListRequested => Step::Run(PostsEffect::LoadList),
            PostsAction::DetailRequested(id) => match parse_id(&id) {
                Some(id) => Step::Run(PostsEffect::LoadDetail(id)),
                None => Step::Done(PostsState::NotFound),
            },
            PostsAction::CreateRequested {
                draft,
                idempotency_key,
                author_id,
            } => match validate(draft, idempotency_key, author_id) {
                Ok(post) => Step::Run(PostsEffect::Store(post)),
                Err(errors) => Step::Done(PostsState::Invalid(errors)),
            },
            PostsAction::ListLoaded(result) => {
                Step::Done(result.map_or_else(PostsState::Unavailable, PostsState::Listed))
            }
            PostsAction::DetailLoaded(result) => Step::Done(match result {
                Ok(Some(post)) => PostsState::Found(post),
                Ok(None) => PostsState::NotFound,
                Err(error) => PostsState::Unavailable(error),
            }),
            PostsAction::PostStored(result) => Step::Done(match result {
                Ok(post) => PostsState::Created(post),
                Err(error @ RepositoryError::ReadOnly(_)) => PostsState::ReadOnly(error),
                Err(RepositoryError::KeyReused) => PostsState::KeyReused,
                Err(RepositoryError::KeyInUse) => PostsState::KeyInUse,
                Err(error) => PostsState::Unavailable(error),
            }),
        }
    }
}

/// Ids are positive integers; anything else cannot name a post, so it is a 404, not a 400.
fn parse_id(raw: &str) -> Option<PostId> {
    raw.parse::<PostId>().ok().filter(|id| *id > 0)
}

fn validate(
    draft: PostDraft,
    idempotency_key: Option<String>,
    author_id: Option<i64>,
) -> Result<NewPost, Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = required_text(&mut errors, "title", draft.title, TITLE_MAX_CHARS);
    let body = required_text(&mut errors, "body", draft.body, BODY_MAX_CHARS);
    if idempotency_key
        .as_deref()
        .is_some_and(|key| !is_idempotency_key(key))
    {
        errors.push(FieldError {
            field: "Idempotency-Key",
            message: format!(
                "must be 1 to {IDEMPOTENCY_KEY_MAX_CHARS} visible ASCII characters, e.g. a UUID"
            ),
        });
    }
    match (title, body) {
        (Some(title), Some(body)) if errors.is_empty() => Ok(NewPost {
            author_id,
            title,
            body,
            idempotency_key,
        }),
        _ => Err(errors),
    }
}

fn is_idempotency_key(key: &str) -> bool {
    (1..=IDEMPOTENCY_KEY_MAX_CHARS).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_graphic())
}

/// Control characters a title or body may hold: tab and line breaks. Every other one (NUL,
/// escape, DEL, the C1 range...) is refused: PostgreSQL cannot store NUL, and the rest can forge
/// log lines or terminal output and never belong in a post.
fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
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
        Some(text) if text.chars().any(is_refused_control) => {
            "must not contain control characters other than tab and line breaks".to_owned()
        }
        Some(text) => return Some(text.to_owned()),
    };
    errors.push(FieldError { field, message });
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posts::Post;

    fn reduce(action: PostsAction) -> PostsStep {
        PostsReducer.reduce(action)
    }

    fn draft(title: Option<&str>, body: Option<&str>) -> PostsAction {
        keyed_draft(title, body, None)
    }

    fn keyed_draft(title: Option<&str>, body: Option<&str>, key: Option<&str>) -> PostsAction {
        PostsAction::CreateRequested {
            draft: PostDraft {
                title: title.map(str::to_owned),
                body: body.map(str::to_owned),
            },
            idempotency_key: key.map(str::to_owned),
            author_id: None,
        }
    }

    fn post(id: PostId) -> Post {
        Post {
            id,
            title: format!("Post {id}"),
            body: "Body".to_owned(),
        }
    }

    fn invalid_fields(step: PostsStep) -> Vec<(&'static str, String)> {
        match step {
            Step::Done(PostsState::Invalid(errors)) => errors
                .into_iter()
                .map(|error| (error.field, error.message))
                .collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn list_request_loads_the_list() {
        assert_eq!(
            reduce(PostsAction::ListRequested),
            Step::Run(PostsEffect::LoadList)
        );
    }

    #[test]
    fn loaded_list_is_the_answer() {
        let step = reduce(PostsAction::ListLoaded(Ok(vec![post(1), post(2)])));
        assert_eq!(step, Step::Done(PostsState::Listed(vec![post(1), post(2)])));
    }

    #[test]
    fn numeric_id_asks_for_that_post() {
        let step = reduce(PostsAction::DetailRequested("42".to_owned()));
        assert_eq!(step, Step::Run(PostsEffect::LoadDetail(42)));
    }

    #[test]
    fn ids_that_cannot_exist_are_not_found_without_loading() {
        for id in ["0", "-3", "abc", "1.5", "", "99999999999999999999"] {
            let step = reduce(PostsAction::DetailRequested(id.to_owned()));
            assert_eq!(step, Step::Done(PostsState::NotFound), "id {id:?}");
        }
    }

    #[test]
    fn loaded_detail_is_found_or_not_found() {
        let found = reduce(PostsAction::DetailLoaded(Ok(Some(post(7)))));
        assert_eq!(found, Step::Done(PostsState::Found(post(7))));
        let missing = reduce(PostsAction::DetailLoaded(Ok(None)));
        assert_eq!(missing, Step::Done(PostsState::NotFound));
    }

    #[test]
    fn valid_draft_is_stored_trimmed() {
        let expected = NewPost {
            author_id: None,
            title: "Hello".to_owned(),
            body: "World".to_owned(),
            idempotency_key: None,
        };
        let step = reduce(draft(Some("  Hello  "), Some("World\n")));
        assert_eq!(step, Step::Run(PostsEffect::Store(expected)));
    }

    #[test]
    fn draft_errors_name_every_bad_field() {
        let fields = invalid_fields(reduce(draft(None, Some("   "))));
        assert_eq!(
            fields,
            [
                ("title", "is required".to_owned()),
                ("body", "must not be blank".to_owned())
            ]
        );
    }

    #[test]
    fn overlong_title_is_refused_by_character_count() {
        let at_limit = "é".repeat(TITLE_MAX_CHARS);
        assert!(
            matches!(
                reduce(draft(Some(&at_limit), Some("b"))),
                Step::Run(PostsEffect::Store(_))
            ),
            "a title of exactly {TITLE_MAX_CHARS} characters is valid"
        );
        let over = format!("{at_limit}é");
        let fields = invalid_fields(reduce(draft(Some(&over), Some("b"))));
        assert_eq!(
            fields,
            [(
                "title",
                format!("must be at most {TITLE_MAX_CHARS} characters")
            )]
        );
    }

    #[test]
    fn idempotency_key_travels_with_the_post_and_must_be_visible_ascii() {
        let step = reduce(keyed_draft(Some("t"), Some("b"), Some("3f1c-retry-1")));
        let Step::Run(PostsEffect::Store(post)) = step else {
            panic!("expected Store, got {step:?}");
        };
        assert_eq!(post.idempotency_key.as_deref(), Some("3f1c-retry-1"));
        let too_long = "k".repeat(IDEMPOTENCY_KEY_MAX_CHARS + 1);
        for bad in ["", "has space", "naïve", too_long.as_str()] {
            let fields = invalid_fields(reduce(keyed_draft(Some("t"), Some("b"), Some(bad))));
            assert_eq!(fields.len(), 1, "{bad:?}");
            assert_eq!(fields[0].0, "Idempotency-Key");
        }
    }

    #[test]
    fn control_characters_other_than_tab_and_line_breaks_are_refused() {
        for bad in [
            "nul\0here",
            "esc\u{1b}[31m",
            "del\u{7f}x",
            "c1\u{85}x",
            "bell\u{7}x",
        ] {
            let fields = invalid_fields(reduce(draft(Some(bad), Some(bad))));
            let names: Vec<_> = fields.iter().map(|(field, _)| *field).collect();
            assert_eq!(names, ["title", "body"], "{bad:?}");
        }
        let step = reduce(draft(Some("a\ttitle"), Some("line one\r\nline two")));
        assert!(matches!(step, Step::Run(PostsEffect::Store(_))), "{step:?}");
    }

    #[test]
    fn a_reused_or_busy_idempotency_key_is_its_own_answer() {
        let reused = reduce(PostsAction::PostStored(Err(RepositoryError::KeyReused)));
        assert_eq!(reused, Step::Done(PostsState::KeyReused));
        let busy = reduce(PostsAction::PostStored(Err(RepositoryError::KeyInUse)));
        assert_eq!(busy, Step::Done(PostsState::KeyInUse));
    }

    #[test]
    fn stored_post_is_created() {
        let step = reduce(PostsAction::PostStored(Ok(post(3))));
        assert_eq!(step, Step::Done(PostsState::Created(post(3))));
    }

    #[test]
    fn repository_failures_make_the_feature_unavailable() {
        let failure = || RepositoryError::Unavailable("connection refused".to_owned());
        for action in [
            PostsAction::ListLoaded(Err(failure())),
            PostsAction::DetailLoaded(Err(failure())),
            PostsAction::PostStored(Err(failure())),
        ] {
            let step = reduce(action);
            assert_eq!(step, Step::Done(PostsState::Unavailable(failure())));
        }
    }

    #[test]
    fn a_write_refused_as_read_only_is_told_apart_from_a_failure() {
        let refused = RepositoryError::ReadOnly("cannot execute INSERT".to_owned());
        let step = reduce(PostsAction::PostStored(Err(refused.clone())));
        assert_eq!(step, Step::Done(PostsState::ReadOnly(refused)));
    }
}
