-- Aggregate snapshots: a stream's state as of one of its revisions, so that the first command
-- on a long stream after a start reads the events after the snapshot, not the whole stream.
-- Not part of the log: derived from it, replaceable, never decided on without the log's
-- events after it. `hash` is the log's hash at that revision: a snapshot of another log (or of
-- a log since rewritten) does not match it and is not used.
CREATE TABLE snapshots (
    stream_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    revision BIGINT NOT NULL CHECK (revision > 0),
    hash TEXT NOT NULL,
    state TEXT NOT NULL
);
