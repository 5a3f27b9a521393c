-- Every money movement, one row per event, for period reports: department revenue (as
-- executed) and the daily report (flows, by method and window, opening and closing liability).
-- Times are UTC RFC 3339 with microseconds and `Z`, so text order is time order; a report's
-- local day becomes a UTC range at query time (the hospital's time zone is configuration).
CREATE TABLE movements (
    position    INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('DEPOSIT', 'DEDUCTION', 'REVERSAL', 'REFUND')),
    account_id  TEXT    NOT NULL,
    amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
    method      TEXT,
    shift_id    TEXT,
    window      TEXT,
    department  TEXT,
    recorded_at TEXT    NOT NULL
) STRICT;
CREATE INDEX movements_recorded_at ON movements (recorded_at);
