-- The log is append-only: an UPDATE, DELETE or TRUNCATE of events, by mistake or by hand, is
-- refused. The tables' owner can still disable these triggers first (`ALTER TABLE … DISABLE
-- TRIGGER`, which log_statement = 'ddl' records); `yika verify` finds what they did.
CREATE FUNCTION yika_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION yika_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION yika_events_append_only();
