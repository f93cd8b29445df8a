use serde::{Deserialize, Serialize};

pub type PostId = i64;

pub const TITLE_MAX_CHARS: usize = 200;
pub const BODY_MAX_CHARS: usize = 10_000;

/// A stored post, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub title: String,
    pub body: String,
}

/// A post as a client sent it: fields may be missing, so the reducer can name what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PostDraft {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// A validated post, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub title: String,
    pub body: String,
}

/// Why one field of a draft was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}
