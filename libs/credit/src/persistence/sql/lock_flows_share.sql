-- Incremental verification takes a SHARE lock on credit.flows to wait out in-flight inserts
-- (ledger-verification.repository.ts). Before Postgres 17 that lock mode needs UPDATE, DELETE or
-- TRUNCATE on the table, which the API's runtime role must not have (least privilege); this
-- function runs as its owner (SECURITY DEFINER), takes the lock in the caller's transaction and
-- does nothing else.
CREATE OR REPLACE FUNCTION credit.lock_flows_share()
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
  LOCK TABLE credit.flows IN SHARE MODE;
END
$$;
