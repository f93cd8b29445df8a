-- A client may send Idempotency-Key with a create and retry it after a timeout or a 503: the
-- retry finds the post the first attempt stored instead of storing it twice. Additive and
-- nullable, so the release before this one keeps working against the new schema.
ALTER TABLE posts ADD COLUMN idempotency_key TEXT UNIQUE;
