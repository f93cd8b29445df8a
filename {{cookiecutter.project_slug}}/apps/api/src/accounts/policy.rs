//! What an e-mail address and a new password must be (NIST SP 800-63B-4, one factor).
//!
//! Passwords: 15 to 1024 characters (the cap bounds the hashing cost), no composition rules,
//! not on the shipped list and not one short unit repeated. The list, `common-passwords.txt`,
//! holds the entries of 15 characters or more among the 30,000 most common passwords of the
//! Xato corpus of 10 million leaked passwords, as zxcvbn 4.5.0 ships them (MIT licence): the
//! rest of any common-password list is shorter than 15 characters and so already refused by
//! the length rule. People reach 15 characters by repeating something short
//! (`passwordpassword`), which the repetition rule refuses.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::posts::FieldError;

pub const PASSWORD_MIN_CHARS: usize = 15;
pub const PASSWORD_MAX_CHARS: usize = 1024;
pub const EMAIL_MAX_CHARS: usize = 254;

/// The longest unit whose repetition is refused (`passwordpassword`: "password" twice).
const REPEATED_UNIT_MAX_CHARS: usize = 8;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// The address as stored and compared: trimmed and lowercased. `None` when it cannot be one.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = email.chars().count() <= EMAIL_MAX_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_control() || c.is_whitespace());
    valid.then_some(email)
}

/// Every problem with a sign-up's fields, checked before any lookup.
pub fn check_new_account(email: &str, password: &str) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let email = normalize_email(email);
    if email.is_none() {
        errors.push(FieldError {
            field: "email",
            message: "must be an e-mail address such as you@example.com".to_owned(),
        });
    }
    if let Err(error) = check_password(password) {
        errors.push(error);
    }
    match email {
        Some(email) if errors.is_empty() => Ok(email),
        _ => Err(errors),
    }
}

pub fn check_password(password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    let problem = if length < PASSWORD_MIN_CHARS {
        format!("must be at least {PASSWORD_MIN_CHARS} characters")
    } else if length > PASSWORD_MAX_CHARS {
        format!("must be at most {PASSWORD_MAX_CHARS} characters")
    } else if COMMON.contains(password) || is_repetition(password) {
        "is too common: choose a longer phrase of your own".to_owned()
    } else {
        return Ok(());
    };
    Err(FieldError {
        field: "password",
        message: problem,
    })
}

/// One unit of at most `REPEATED_UNIT_MAX_CHARS` characters repeated (`aaaa...`, `abcabc...`).
fn is_repetition(password: &str) -> bool {
    let chars: Vec<char> = password.to_lowercase().chars().collect();
    (1..=REPEATED_UNIT_MAX_CHARS.min(chars.len() / 2)).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|chunk| chunk == &chars[..unit])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a@b@example.com",
            "a@example",
            "a b@x.io",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
        assert_eq!(normalize_email(&format!("{}@x.io", "a".repeat(250))), None);
        assert_eq!(normalize_email("a\u{7}@x.io"), None);
    }

    #[test]
    fn passwords_need_length_and_no_common_or_repeated_shape() {
        assert!(check_password("correct horse battery staple").is_ok());
        assert!(check_password(&"é".repeat(15)).is_err()); // one unit repeated
        assert!(check_password("fourteen chars").is_err());
        assert!(check_password(&"x1".repeat(600)).is_err());
        for common in [
            "qwertyuiop12345",
            "passwordpassword",
            "aaaaaaaaaaaaaaaa",
            "abcabcabcabcabc",
        ] {
            assert!(check_password(common).is_err(), "{common}");
        }
        let at_most = format!("{}{}", "a".repeat(PASSWORD_MAX_CHARS - 1), "b");
        assert!(check_password(&at_most).is_ok());
    }

    #[test]
    fn every_problem_of_a_sign_up_is_named() {
        let errors = check_new_account("nope", "short").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["email", "password"]);
        assert_eq!(
            check_new_account(" A@B.io", "a perfectly fine phrase").unwrap(),
            "a@b.io"
        );
    }
}
