-- The trigger verification_watch_keep (migration VerificationWatch) calls this: a balance written
-- outside a flow stays on the incremental verify's watch list; only the tables' owner, who can
-- disable the trigger, can take it off.
CREATE OR REPLACE FUNCTION credit.refuse_unwatch()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION 'credit.verification_watch keeps a balance written outside a flow: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
