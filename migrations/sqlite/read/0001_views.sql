-- The read store: CQRS views rebuilt from the event log alone. Deleting this file and
-- restarting rebuilds every view from position 0. Money is integer fen.

-- How far each runner has applied the log; written in the same transaction as the view rows.
CREATE TABLE checkpoints (
    projection TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL CHECK (position >= 0)
) STRICT;

CREATE TABLE staff (
    staff_id      TEXT PRIMARY KEY,
    staff_no      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    department    TEXT,
    token_sha256  TEXT NOT NULL UNIQUE,
    registered_at TEXT NOT NULL
) STRICT;

-- The balances view.
CREATE TABLE accounts (
    account_id       TEXT    PRIMARY KEY,
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    patient_id       TEXT    NOT NULL,
    card_no          TEXT    NOT NULL,
    insurance_scheme TEXT    NOT NULL,
    balance_fen      INTEGER NOT NULL,
    deposited_fen    INTEGER NOT NULL,
    deducted_fen     INTEGER NOT NULL,
    reversed_fen     INTEGER NOT NULL,
    refunded_fen     INTEGER NOT NULL,
    opened_at        TEXT    NOT NULL,
    last_activity_at TEXT,
    revision         INTEGER NOT NULL,
    -- Ordering key for pages: the position of AccountOpened.
    opened_position  INTEGER NOT NULL UNIQUE
) STRICT;
CREATE INDEX accounts_card_no ON accounts (card_no);
CREATE INDEX accounts_patient_id ON accounts (patient_id);

CREATE TABLE deductions (
    deduction_id TEXT    PRIMARY KEY,
    account_id   TEXT    NOT NULL,
    amount_fen   INTEGER NOT NULL,
    reversed_fen INTEGER NOT NULL,
    department   TEXT    NOT NULL,
    order_id     TEXT    NOT NULL,
    item_code    TEXT    NOT NULL,
    item_name    TEXT,
    quantity     INTEGER NOT NULL,
    executor_id  TEXT,
    recorded_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX deductions_account ON deductions (account_id);

-- The shift report (the parts the core ledger records; counts and hand-over come later).
CREATE TABLE shifts (
    shift_id          TEXT    PRIMARY KEY,
    cashier_id        TEXT    NOT NULL,
    window            TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    opened_at         TEXT    NOT NULL,
    closed_at         TEXT,
    opening_float_fen INTEGER NOT NULL,
    counted_cash_fen  INTEGER,
    transaction_count INTEGER NOT NULL,
    receipts_issued   INTEGER NOT NULL,
    opened_position   INTEGER NOT NULL UNIQUE
) STRICT;
CREATE INDEX shifts_cashier ON shifts (cashier_id);

CREATE TABLE shift_methods (
    shift_id     TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    received_fen INTEGER NOT NULL,
    paid_out_fen INTEGER NOT NULL,
    counted_fen  INTEGER,
    PRIMARY KEY (shift_id, method)
) STRICT;
