-- Performance workload: every counted act (who, what, when), the coefficient sets with their
-- effective dates, and quality deductions. Weights are applied at query time with the set in
-- force on each act's local business date, so a past month recomputes as it was.
CREATE TABLE workload_acts (
    position      INTEGER PRIMARY KEY,
    staff_id      TEXT    NOT NULL,
    business_type TEXT    NOT NULL,
    recorded_at   TEXT    NOT NULL
) STRICT;
CREATE INDEX workload_acts_time ON workload_acts (recorded_at);

CREATE TABLE coefficient_sets (
    position       INTEGER PRIMARY KEY,
    effective_from TEXT    NOT NULL,
    base_ratio     TEXT    NOT NULL,
    coefficients   TEXT    NOT NULL
) STRICT;

CREATE TABLE quality_deductions (
    position     INTEGER PRIMARY KEY,
    deduction_id TEXT    NOT NULL UNIQUE,
    staff_id     TEXT    NOT NULL,
    points       TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    recorded_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX quality_deductions_time ON quality_deductions (recorded_at);
