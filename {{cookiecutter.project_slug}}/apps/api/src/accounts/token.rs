//! Opaque tokens: sessions, e-mail verification and password reset links.
//!
//! 32 bytes from the operating system, sent base64url-encoded (43 characters); the database
//! keeps only their SHA-256, so a copy of it opens no session and follows no link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A token as its holder sees it. Never logged: `Debug` hides it.
pub struct Token(String);

/// What the database stores and looks tokens up by.
pub type TokenHash = [u8; 32];

impl Token {
    /// 256 random bits from the OS; `None` only if the OS has no randomness to give.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        hash(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The SHA-256 of a presented token. A hash suffices (no salt, no Argon2): the token is 256
/// random bits, so there is nothing to guess from its digest.
pub fn hash(presented: &str) -> TokenHash {
    Sha256::digest(presented.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let (a, b) = (Token::generate().unwrap(), Token::generate().unwrap());
        assert_eq!(a.as_str().len(), 43);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.hash(), hash(a.as_str()));
        assert!(!format!("{a:?}").contains(a.as_str()));
    }
}
