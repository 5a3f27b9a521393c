-- Closing the books: the cashier's declared hand-over (the shift is HANDED_OVER once both the
-- declaration and the controller's receipt are recorded) and the resolution of a cash variance.
ALTER TABLE shifts ADD COLUMN declared_cash_fen BIGINT;
ALTER TABLE shifts ADD COLUMN declared_at TEXT COLLATE "C";
ALTER TABLE shifts ADD COLUMN variance_resolution TEXT COLLATE "C";
ALTER TABLE shifts ADD COLUMN variance_note TEXT COLLATE "C";
ALTER TABLE shift_methods ADD COLUMN declared_fen BIGINT;
-- Finance's views find the events of a type in a period through the audit index.
CREATE INDEX audit_index_type_time ON audit_index (event_type, recorded_at);
