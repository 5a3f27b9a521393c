-- The log is append-only: an UPDATE or DELETE of an event, by mistake or by hand, is refused.
-- Someone with the file can still drop these triggers first; `yika verify` finds what they did.
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: an event is never updated');
END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: an event is never deleted');
END;
