-- Tokens issued after a registration (rotations), by their hash: the rest of the token index.
-- Whether a token is still valid (not replaced, revoked, expired, or its holder deactivated) is
-- read from the log's staff stream, never from here.
CREATE TABLE staff_tokens (
    token_sha256 TEXT COLLATE "C" PRIMARY KEY,
    staff_id     TEXT COLLATE "C" NOT NULL,
    issued_at    TEXT COLLATE "C" NOT NULL
);
