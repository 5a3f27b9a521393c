-- Discharge settlements move the patient liability three ways: the scheme's share
-- (INSURANCE), what the patient pays in (SETTLEMENT_IN) and what they get back
-- (SETTLEMENT_OUT). SQLite cannot alter a CHECK, so the table is rebuilt.
CREATE TABLE movements_v2 (
    position    INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('DEPOSIT', 'DEDUCTION', 'REVERSAL', 'REFUND',
                                                 'INSURANCE', 'SETTLEMENT_IN', 'SETTLEMENT_OUT')),
    account_id  TEXT    NOT NULL,
    amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
    method      TEXT,
    shift_id    TEXT,
    window      TEXT,
    department  TEXT,
    recorded_at TEXT    NOT NULL,
    PRIMARY KEY (position, kind)
) STRICT;
INSERT INTO movements_v2 SELECT position, kind, account_id, amount_fen, method, shift_id, window, department, recorded_at FROM movements;
DROP TABLE movements;
ALTER TABLE movements_v2 RENAME TO movements;
CREATE INDEX movements_recorded_at ON movements (recorded_at);
