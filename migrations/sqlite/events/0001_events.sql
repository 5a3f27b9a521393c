-- The event log: append-only. Rows are never updated or deleted by Yika.
-- `position` is the global order, assigned by the writer as tail + 1 and written in the same
-- statement as the rest of its group commit: dense (no gaps), committed in order, and a
-- reader's snapshot never sees a gap that fills later. A writer that did not know the real tail
-- (another process appended) fails on the primary key and retries under the write lock.
CREATE TABLE events (
    position       INTEGER PRIMARY KEY CHECK (position > 0),
    event_id       TEXT    NOT NULL UNIQUE,
    stream_id      TEXT    NOT NULL,
    revision       INTEGER NOT NULL CHECK (revision > 0),
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL CHECK (schema_version > 0),
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    -- SHA-256 over the previous event's hash and this event's canonical bytes (hex).
    hash           TEXT    NOT NULL CHECK (length(hash) = 64),
    -- A command's idempotency key, on the first event of the append that claimed it, with the
    -- fingerprint of the command's input and the append's last position. Bookkeeping beside the
    -- event (not covered by the hash): the same key with the same fingerprint returns the
    -- first result, with another fingerprint it is refused. Kept in this table so that a whole
    -- group commit is one INSERT statement.
    idempotency_key         TEXT,
    idempotency_fingerprint TEXT,
    idempotency_last        INTEGER,
    UNIQUE (stream_id, revision),
    CHECK ((idempotency_key IS NULL) = (idempotency_fingerprint IS NULL)),
    CHECK ((idempotency_key IS NULL) = (idempotency_last IS NULL))
) STRICT;

CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;


