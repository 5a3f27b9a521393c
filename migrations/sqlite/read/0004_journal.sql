-- The journal: every event's double-entry postings (domain::postings), one row per leg. Debits
-- are positive, credits negative; each event's legs sum to zero. `ledger_group` is the control
-- account a subledger rolls up into in the trial balance (patient-prepaid, cash-drawer), and
-- the ledger account itself otherwise.
CREATE TABLE journal (
    position       INTEGER NOT NULL,
    leg            INTEGER NOT NULL,
    ledger_account TEXT    NOT NULL,
    ledger_group   TEXT    NOT NULL,
    amount_fen     INTEGER NOT NULL CHECK (amount_fen <> 0),
    recorded_at    TEXT    NOT NULL,
    PRIMARY KEY (position, leg)
) STRICT;
CREATE INDEX journal_account ON journal (ledger_account, recorded_at);
