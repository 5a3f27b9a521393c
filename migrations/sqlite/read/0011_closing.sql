-- Closing the books: the cashier's declared hand-over (the shift is HANDED_OVER once both the
-- declaration and the controller's receipt are recorded) and the resolution of a cash variance.
ALTER TABLE shifts ADD COLUMN declared_cash_fen INTEGER;
ALTER TABLE shifts ADD COLUMN declared_at TEXT;
ALTER TABLE shifts ADD COLUMN variance_resolution TEXT;
ALTER TABLE shifts ADD COLUMN variance_note TEXT;
ALTER TABLE shift_methods ADD COLUMN declared_fen INTEGER;
-- Finance's views find the events of a type in a period through the audit index.
CREATE INDEX audit_index_type_time ON audit_index (event_type, recorded_at);
