-- Posts, and two to start with (the in-memory repository starts with the same two).
CREATE TABLE posts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO posts (title, body) VALUES
    ('Welcome to your Composable app',
     'This post comes from the API. Add your own with POST /api/posts.'),
    ('State, actions and reducers',
     'Business logic lives in pure reducers; effects describe the I/O they need.');
