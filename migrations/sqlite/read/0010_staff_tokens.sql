-- Tokens issued after a registration (rotations), by their hash: the rest of the token index.
-- Whether a token is still valid (not replaced, revoked, expired, or its holder deactivated) is
-- read from the log's staff stream, never from here.
CREATE TABLE staff_tokens (
    token_sha256 TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL,
    issued_at    TEXT NOT NULL
) STRICT;
