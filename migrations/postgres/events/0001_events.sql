-- The event log on PostgreSQL: append-only. Rows are never updated or deleted by Yika.
--
-- `position` is the global order. Every append takes the single row of `log_head` FOR UPDATE,
-- assigns positions from its tail, inserts its events, moves the head and commits: writers
-- (from any number of processes) are serialized on that row, so positions are dense and commit
-- in order, and no reader's snapshot ever sees a gap that fills later (the high-water-mark
-- problem of sequences cannot arise: there is no sequence).
CREATE TABLE events (
    position       BIGINT  PRIMARY KEY CHECK (position > 0),
    event_id       UUID    NOT NULL UNIQUE,
    stream_id      TEXT    NOT NULL,
    revision       BIGINT  NOT NULL CHECK (revision > 0),
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL CHECK (schema_version > 0),
    -- Text, not jsonb: the hash chain covers the exact bytes that were written.
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    -- RFC 3339 with microseconds and Z, exactly as hashed.
    recorded_at    TEXT    NOT NULL,
    -- SHA-256 over the previous event's hash and this event's canonical bytes (hex).
    hash           TEXT    NOT NULL CHECK (length(hash) = 64),
    -- A command's idempotency key on the first event of the append that claimed it (see the
    -- SQLite migration): bookkeeping beside the event, not covered by the hash.
    idempotency_key         TEXT,
    idempotency_fingerprint TEXT,
    idempotency_last        BIGINT,
    UNIQUE (stream_id, revision),
    CHECK ((idempotency_key IS NULL) = (idempotency_fingerprint IS NULL)),
    CHECK ((idempotency_key IS NULL) = (idempotency_last IS NULL))
);

CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The log's tail: one row, the write lock of the whole log.
CREATE TABLE log_head (
    singleton   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    position    BIGINT  NOT NULL,
    hash        TEXT    NOT NULL CHECK (length(hash) = 64),
    recorded_at TEXT
);
INSERT INTO log_head (singleton, position, hash, recorded_at)
VALUES (TRUE, 0, repeat('0', 64), NULL);
