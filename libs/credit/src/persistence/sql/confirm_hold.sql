-- Makes a placement that committed without waiting for its WAL flush (place_hold's
-- p_async_commit: a team pool's, so the pool's lock is not held through the flush) durable before
-- the caller acts on it, i.e. before any LLM call: a synchronous commit flushes the WAL up to its
-- own commit record, which follows the placement's (and, with a synchronous standby, waits for
-- the standby to have it too). A transaction that wrote nothing commits without a flush, so this
-- one rewrites the hold's own row (a HOT update nobody else waits on: the hold is seconds old).
-- Answers false when the hold is not there: the server that took it was lost before the flush
-- (a crash or a failover), so nothing is held and the caller must not go on.
CREATE OR REPLACE FUNCTION credit.confirm_hold(p_hold uuid)
RETURNS boolean
LANGUAGE sql
AS $$
  WITH touched AS (UPDATE credit.holds SET status = status WHERE id = p_hold RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM touched)
$$;
