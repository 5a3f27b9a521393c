-- The event log: append-only. Rows are never updated or deleted by Yika.
-- `position` is the global order, assigned by the single writer inside the write transaction,
-- so it is dense (no gaps) and a reader's snapshot never sees a gap that fills later.
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
    UNIQUE (stream_id, revision)
) STRICT;

-- Idempotency keys of commands: the same key with the same fingerprint returns the first
-- result; with another fingerprint it is refused. Written in the same transaction as the events.
CREATE TABLE idempotency_keys (
    key            TEXT    PRIMARY KEY,
    fingerprint    TEXT    NOT NULL,
    first_position INTEGER NOT NULL,
    last_position  INTEGER NOT NULL
) STRICT;
