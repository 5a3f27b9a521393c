-- Cashier control: receipts from each cashier's numbered series, cash counts, hand-over.

ALTER TABLE shifts ADD COLUMN receipts_voided INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shifts ADD COLUMN handed_over_fen INTEGER;
ALTER TABLE shifts ADD COLUMN handed_over_to TEXT;
ALTER TABLE shifts ADD COLUMN handed_over_at TEXT;

-- Every receipt number a shift used, issued or voided: gaps in a shift's numbering are findings.
CREATE TABLE receipts (
    shift_id   TEXT    NOT NULL,
    sequence   INTEGER NOT NULL,
    receipt_no TEXT    NOT NULL UNIQUE,
    status     TEXT    NOT NULL CHECK (status IN ('ISSUED', 'VOIDED')),
    reason     TEXT,
    PRIMARY KEY (shift_id, sequence)
) STRICT;

CREATE TABLE cash_counts (
    position     INTEGER PRIMARY KEY,
    shift_id     TEXT    NOT NULL,
    counted_by   TEXT    NOT NULL,
    surprise     INTEGER NOT NULL,
    counted_fen  INTEGER NOT NULL,
    expected_fen INTEGER NOT NULL,
    note         TEXT,
    counted_at   TEXT    NOT NULL
) STRICT;
CREATE INDEX cash_counts_shift ON cash_counts (shift_id);
