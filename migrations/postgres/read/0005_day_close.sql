-- The day's close (日结). A movement keeps its business time and position beside its recorded
-- ones: a reversal belongs to its deduction's day, and what is recorded after a day's close on
-- that same date belongs to the next day (decision 0028). The day of a shift's close and of a
-- variance's resolution is found the same way, by their positions.
ALTER TABLE movements ADD COLUMN business_at TEXT COLLATE "C";
ALTER TABLE movements ADD COLUMN business_position BIGINT;
ALTER TABLE deductions ADD COLUMN position BIGINT;
ALTER TABLE shifts ADD COLUMN closed_position BIGINT;
ALTER TABLE shifts ADD COLUMN variance_resolved_position BIGINT;
CREATE TABLE days (
    date           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    position       BIGINT NOT NULL,
    as_of_position BIGINT NOT NULL,
    report_sha256  TEXT COLLATE "C" NOT NULL,
    closed_by      TEXT COLLATE "C" NOT NULL,
    closed_at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX movements_business_at ON movements (business_at);
-- The new columns are filled from the log: every view is rebuilt on the next start (the views
-- are a function of the log; nothing is lost).
DELETE FROM staff;
DELETE FROM staff_tokens;
DELETE FROM accounts;
DELETE FROM deductions;
DELETE FROM shifts;
DELETE FROM shift_methods;
DELETE FROM movements;
DELETE FROM receipts;
DELETE FROM cash_counts;
DELETE FROM journal;
DELETE FROM workload_acts;
DELETE FROM coefficient_sets;
DELETE FROM quality_deductions;
DELETE FROM audit_index;
UPDATE checkpoints SET position = 0;
