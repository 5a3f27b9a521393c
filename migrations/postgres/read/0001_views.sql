-- The views on PostgreSQL: the same tables and columns as the SQLite read store after all its
-- migrations (migrations/sqlite/read/0001..0007), written by the same projector code through
-- sqlx's Any driver. Integers are BIGINT (what the code binds and reads); text compares and
-- sorts by code point (COLLATE "C"), as in SQLite, so reports order rows the same way.

CREATE TABLE checkpoints (
    projection TEXT COLLATE "C"   PRIMARY KEY,
    position   BIGINT NOT NULL CHECK (position >= 0)
);
-- The runner locks this row (FOR UPDATE) for each batch: API replicas sharing this read store
-- apply every event exactly once between them.
INSERT INTO checkpoints (projection, position) VALUES ('views', 0);

CREATE TABLE staff (
    staff_id      TEXT COLLATE "C" PRIMARY KEY,
    staff_no      TEXT COLLATE "C" NOT NULL UNIQUE,
    name          TEXT COLLATE "C" NOT NULL,
    role          TEXT COLLATE "C" NOT NULL,
    department    TEXT COLLATE "C",
    token_sha256  TEXT COLLATE "C" NOT NULL UNIQUE,
    registered_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE accounts (
    account_id       TEXT COLLATE "C"   PRIMARY KEY,
    kind             TEXT COLLATE "C"   NOT NULL,
    status           TEXT COLLATE "C"   NOT NULL,
    patient_id       TEXT COLLATE "C"   NOT NULL,
    card_no          TEXT COLLATE "C"   NOT NULL,
    insurance_scheme TEXT COLLATE "C"   NOT NULL,
    balance_fen      BIGINT NOT NULL,
    deposited_fen    BIGINT NOT NULL,
    deducted_fen     BIGINT NOT NULL,
    reversed_fen     BIGINT NOT NULL,
    refunded_fen     BIGINT NOT NULL,
    opened_at        TEXT COLLATE "C"   NOT NULL,
    last_activity_at TEXT COLLATE "C",
    revision         BIGINT NOT NULL,
    opened_position  BIGINT NOT NULL UNIQUE
);
CREATE INDEX accounts_card_no ON accounts (card_no);
CREATE INDEX accounts_patient_id ON accounts (patient_id);

CREATE TABLE deductions (
    deduction_id TEXT COLLATE "C"   PRIMARY KEY,
    account_id   TEXT COLLATE "C"   NOT NULL,
    amount_fen   BIGINT NOT NULL,
    reversed_fen BIGINT NOT NULL,
    department   TEXT COLLATE "C"   NOT NULL,
    order_id     TEXT COLLATE "C"   NOT NULL,
    item_code    TEXT COLLATE "C"   NOT NULL,
    item_name    TEXT COLLATE "C",
    quantity     BIGINT NOT NULL,
    executor_id  TEXT COLLATE "C",
    recorded_at  TEXT COLLATE "C"   NOT NULL
);
CREATE INDEX deductions_account ON deductions (account_id);

CREATE TABLE shifts (
    shift_id          TEXT COLLATE "C"   PRIMARY KEY,
    cashier_id        TEXT COLLATE "C"   NOT NULL,
    "window"          TEXT COLLATE "C"   NOT NULL,
    status            TEXT COLLATE "C"   NOT NULL,
    opened_at         TEXT COLLATE "C"   NOT NULL,
    closed_at         TEXT COLLATE "C",
    opening_float_fen BIGINT NOT NULL,
    counted_cash_fen  BIGINT,
    transaction_count BIGINT NOT NULL,
    receipts_issued   BIGINT NOT NULL,
    opened_position   BIGINT NOT NULL UNIQUE,
    receipts_voided   BIGINT NOT NULL DEFAULT 0,
    handed_over_fen   BIGINT,
    handed_over_to    TEXT COLLATE "C",
    handed_over_at    TEXT COLLATE "C"
);
CREATE INDEX shifts_cashier ON shifts (cashier_id);

CREATE TABLE shift_methods (
    shift_id     TEXT COLLATE "C"   NOT NULL,
    method       TEXT COLLATE "C"   NOT NULL,
    received_fen BIGINT NOT NULL,
    paid_out_fen BIGINT NOT NULL,
    counted_fen  BIGINT,
    PRIMARY KEY (shift_id, method)
);

CREATE TABLE movements (
    position    BIGINT NOT NULL,
    kind        TEXT COLLATE "C"   NOT NULL CHECK (kind IN ('DEPOSIT', 'DEDUCTION', 'REVERSAL', 'REFUND',
                                                'INSURANCE', 'SETTLEMENT_IN', 'SETTLEMENT_OUT')),
    account_id  TEXT COLLATE "C"   NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen > 0),
    method      TEXT COLLATE "C",
    shift_id    TEXT COLLATE "C",
    "window"    TEXT COLLATE "C",
    department  TEXT COLLATE "C",
    recorded_at TEXT COLLATE "C"   NOT NULL,
    PRIMARY KEY (position, kind)
);
CREATE INDEX movements_recorded_at ON movements (recorded_at);

CREATE TABLE receipts (
    shift_id   TEXT COLLATE "C"   NOT NULL,
    sequence   BIGINT NOT NULL,
    receipt_no TEXT COLLATE "C"   NOT NULL UNIQUE,
    status     TEXT COLLATE "C"   NOT NULL CHECK (status IN ('ISSUED', 'VOIDED')),
    reason     TEXT COLLATE "C",
    PRIMARY KEY (shift_id, sequence)
);

CREATE TABLE cash_counts (
    position     BIGINT PRIMARY KEY,
    shift_id     TEXT COLLATE "C"   NOT NULL,
    counted_by   TEXT COLLATE "C"   NOT NULL,
    surprise     BIGINT NOT NULL,
    counted_fen  BIGINT NOT NULL,
    expected_fen BIGINT NOT NULL,
    note         TEXT COLLATE "C",
    counted_at   TEXT COLLATE "C"   NOT NULL
);
CREATE INDEX cash_counts_shift ON cash_counts (shift_id);

CREATE TABLE journal (
    position       BIGINT NOT NULL,
    leg            BIGINT NOT NULL,
    ledger_account TEXT COLLATE "C"   NOT NULL,
    ledger_group   TEXT COLLATE "C"   NOT NULL,
    amount_fen     BIGINT NOT NULL CHECK (amount_fen <> 0),
    recorded_at    TEXT COLLATE "C"   NOT NULL,
    PRIMARY KEY (position, leg)
);
CREATE INDEX journal_account ON journal (ledger_account, recorded_at);

CREATE TABLE workload_acts (
    position      BIGINT PRIMARY KEY,
    staff_id      TEXT COLLATE "C"   NOT NULL,
    business_type TEXT COLLATE "C"   NOT NULL,
    recorded_at   TEXT COLLATE "C"   NOT NULL
);
CREATE INDEX workload_acts_time ON workload_acts (recorded_at);

CREATE TABLE coefficient_sets (
    position       BIGINT PRIMARY KEY,
    effective_from TEXT COLLATE "C"   NOT NULL,
    base_ratio     TEXT COLLATE "C"   NOT NULL,
    coefficients   TEXT COLLATE "C"   NOT NULL
);

CREATE TABLE quality_deductions (
    position     BIGINT PRIMARY KEY,
    deduction_id TEXT COLLATE "C"   NOT NULL UNIQUE,
    staff_id     TEXT COLLATE "C"   NOT NULL,
    points       TEXT COLLATE "C"   NOT NULL,
    reason       TEXT COLLATE "C"   NOT NULL,
    recorded_at  TEXT COLLATE "C"   NOT NULL
);
CREATE INDEX quality_deductions_time ON quality_deductions (recorded_at);

CREATE TABLE audit_index (
    position    BIGINT PRIMARY KEY,
    event_type  TEXT COLLATE "C"   NOT NULL,
    account_id  TEXT COLLATE "C",
    shift_id    TEXT COLLATE "C",
    actor_id    TEXT COLLATE "C",
    department  TEXT COLLATE "C",
    recorded_at TEXT COLLATE "C"   NOT NULL
);
CREATE INDEX audit_index_account ON audit_index (account_id, position);
CREATE INDEX audit_index_shift ON audit_index (shift_id, position);
CREATE INDEX audit_index_actor ON audit_index (actor_id, position);
