-- An Idempotency-Key is remembered 24 hours (IDEMPOTENCY_KEY_TTL_SECS): each keyed create first
-- clears the keys older than that. This partial index finds them without scanning every post.
-- Additive: the release before this one neither needs nor notices it.
CREATE INDEX posts_idempotency_key_age ON posts (created_at) WHERE idempotency_key IS NOT NULL;
