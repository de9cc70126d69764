-- The one way to append a flow (DESIGN.md "Where the money rules live"): the SQL functions and
-- the services (grants, claims, adjustments, zeroing, referrals) all write through it. A retry
-- under the same idempotency key answers the first flow (created = false); the same key with
-- another kind, asset, amount or party is refused ('ledger_key_reused', DETAIL the key), never
-- answered with the first flow.
CREATE OR REPLACE FUNCTION credit.write_flow(p_kind text, p_asset text, p_amount bigint, p_from text, p_to text,
                                             p_person uuid, p_key text, p_metadata jsonb, p_at timestamptz,
                                             p_grant uuid DEFAULT NULL,
                                             OUT flow_id bigint, OUT created boolean)
LANGUAGE plpgsql
AS $$
DECLARE
  v_old record;
BEGIN
  INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, grant_id, idempotency_key, metadata, created_at)
  VALUES (p_kind, p_asset, p_amount, p_from, p_to, p_person, p_grant, p_key, p_metadata, p_at)
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id INTO flow_id;
  created := flow_id IS NOT NULL;
  IF created THEN RETURN; END IF;
  SELECT id, kind, asset, amount, from_party, to_party INTO v_old FROM credit.flows WHERE idempotency_key = p_key;
  IF (v_old.kind, v_old.asset, v_old.amount, v_old.from_party, v_old.to_party) IS DISTINCT FROM (p_kind, p_asset, p_amount, p_from, p_to) THEN
    RAISE EXCEPTION 'ledger_key_reused' USING DETAIL = p_key;
  END IF;
  flow_id := v_old.id;
END
$$;
