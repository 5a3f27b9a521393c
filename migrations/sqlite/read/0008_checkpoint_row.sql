-- The runner's checkpoint row exists from the start (as on PostgreSQL, where the runner locks
-- it), so an empty read store compares equal to an empty replay on either backend.
INSERT INTO checkpoints (projection, position) VALUES ('views', 0) ON CONFLICT (projection) DO NOTHING;
