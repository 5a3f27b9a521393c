-- Each event's hash as the views applied it: `yika verify` compares the log with it and names
-- the first position whose stored event is not the one the views were built from. Rows applied
-- before this migration have none; rebuild the views once to fill them.
ALTER TABLE audit_index ADD COLUMN hash TEXT COLLATE "C";
-- The audit trail's other filters.
CREATE INDEX audit_index_type ON audit_index (event_type, position);
CREATE INDEX audit_index_department ON audit_index (department, position);
CREATE INDEX audit_index_time ON audit_index (recorded_at, position);
