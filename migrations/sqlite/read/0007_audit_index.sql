-- The audit index: one row per event with what the audit trail filters on. The events
-- themselves are read from the log by position, so the trail shows exactly what was stored.
CREATE TABLE audit_index (
    position    INTEGER PRIMARY KEY,
    event_type  TEXT    NOT NULL,
    account_id  TEXT,
    shift_id    TEXT,
    actor_id    TEXT,
    department  TEXT,
    recorded_at TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_index_account ON audit_index (account_id, position);
CREATE INDEX audit_index_shift ON audit_index (shift_id, position);
CREATE INDEX audit_index_actor ON audit_index (actor_id, position);
