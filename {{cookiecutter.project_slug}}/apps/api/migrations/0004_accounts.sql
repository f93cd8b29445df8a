-- Accounts (feature `accounts`): users, their sessions, single-use mail tokens and the sign-in
-- throttle. Additive: the release before this one neither needs nor notices these tables, and
-- posts.author_id is nullable (the seed posts have no author).
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored trimmed and lowercased by the API; the index keeps it unique whatever the case.
    email TEXT NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    -- The Argon2id PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
    password_hash TEXT NOT NULL,
    verified_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Only the SHA-256 of each session token: a copy of this table opens no session.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The absolute limit (SESSION_MAX_AGE_SECS); the idle limit is read from last_used_at.
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- E-mail verification and password reset links, hashed like sessions; used_at makes them single-use.
CREATE TABLE account_tokens (
    token_hash BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

-- Failed sign-ins per submitted address (whether or not it has an account): each failure past
-- the free ones doubles the wait before the next attempt; a success clears the row.
CREATE TABLE sign_in_throttle (
    email TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    blocked_until TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE posts ADD COLUMN author_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
