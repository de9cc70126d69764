-- Makes a settlement that committed without waiting for its WAL flush (commit_early_if_contended)
-- durable before the caller answers with it, as confirm_hold does for a placement: a synchronous
-- commit flushes the WAL up to its own commit record, which follows the settlement's. It rewrites
-- the settled hold's own row (a transaction that wrote nothing would commit without a flush).
-- Answers false when the hold carries no charge: the server that took the settlement was lost before
-- the flush (a crash or a failover); the hold is then active or gone, expires, and nothing is
-- charged twice.
CREATE OR REPLACE FUNCTION credit.confirm_settlement(p_hold uuid)
RETURNS boolean
LANGUAGE sql
AS $$
  WITH touched AS (UPDATE credit.holds SET status = status WHERE id = p_hold AND charged IS NOT NULL RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM touched)
$$;
