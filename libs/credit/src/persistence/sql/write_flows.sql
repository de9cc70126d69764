-- The one way to append flows (DESIGN.md "Where the money rules live"): the SQL functions and
-- the services (grants, claims, adjustments, zeroing, referrals) all write through it, one flow
-- (write_flow) or several at once (a settlement's release and charges: one INSERT statement
-- instead of one per flow; the balances trigger, apply_flow, still runs per row, in the order
-- given, so each flow locks its payer's balance row before the system one). A retry under the
-- same idempotency key answers the first flow (created = false); the same key with another kind,
-- asset, amount or party is refused ('ledger_key_reused', DETAIL the key), never answered with
-- the first flow.
--   One array element per flow, all arrays of one length (p_grants may be NULL: no grant);
--   the answer has one row per flow, in the order given (n, 1-based).
CREATE OR REPLACE FUNCTION credit.write_flows(p_kinds text[], p_assets text[], p_amounts bigint[], p_from text[], p_to text[],
                                              p_persons uuid[], p_keys text[], p_metadata jsonb[], p_at timestamptz,
                                              p_grants uuid[] DEFAULT NULL)
RETURNS TABLE (n integer, flow_id bigint, created boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_count integer := cardinality(p_kinds);
  v_ids bigint[];
  v_keys text[];
  v_old record;
  v_unkeyed bigint[];
  v_next integer := 0;
  i integer;
BEGIN
  IF v_count IS NULL OR v_count = 0 THEN RETURN; END IF;
  IF cardinality(p_assets) <> v_count OR cardinality(p_amounts) <> v_count OR cardinality(p_from) <> v_count
     OR cardinality(p_to) <> v_count OR cardinality(p_persons) <> v_count OR cardinality(p_keys) <> v_count
     OR cardinality(p_metadata) <> v_count OR cardinality(p_grants) <> v_count THEN
    RAISE EXCEPTION 'write_flows: arrays of different lengths';
  END IF;
  -- Inserted in the order given: identity values only grow within a session, so ordering the
  -- answer by id restores it.
  WITH written AS (
    INSERT INTO credit.flows AS f (kind, asset, amount, from_party, to_party, person_id, grant_id, idempotency_key, metadata, created_at)
    SELECT x.kind, x.asset, x.amount, x.from_party, x.to_party, x.person_id, x.grant_id, x.idempotency_key, x.metadata, p_at
      FROM unnest(p_kinds, p_assets, p_amounts, p_from, p_to, p_persons, p_keys, p_metadata,
                  coalesce(p_grants, array_fill(NULL::uuid, ARRAY[v_count])))
             WITH ORDINALITY AS x (kind, asset, amount, from_party, to_party, person_id, idempotency_key, metadata, grant_id, ord)
     ORDER BY x.ord
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING f.id, f.idempotency_key)
  SELECT array_agg(w.id ORDER BY w.id), array_agg(w.idempotency_key ORDER BY w.id) INTO v_ids, v_keys FROM written w;
  IF cardinality(v_ids) = v_count THEN
    created := true;
    FOR i IN 1 .. v_count LOOP
      n := i;
      flow_id := v_ids[i];
      RETURN NEXT;
    END LOOP;
    RETURN;
  END IF;
  -- Some keys were written before (a retry), or twice in this call: each answers its first flow
  -- when it is the same transfer. A flow without a key is always new: those take the new ids
  -- left over, in order.
  v_ids := coalesce(v_ids, '{}');
  v_keys := coalesce(v_keys, '{}');
  v_unkeyed := ARRAY(SELECT u.id FROM unnest(v_ids, v_keys) AS u (id, k) WHERE u.k IS NULL ORDER BY u.id);
  FOR i IN 1 .. v_count LOOP
    n := i;
    IF p_keys[i] IS NULL THEN
      v_next := v_next + 1;
      flow_id := v_unkeyed[v_next];
      created := true;
    ELSIF array_position(v_keys, p_keys[i]) IS NOT NULL AND array_position(p_keys[1 : i - 1], p_keys[i]) IS NULL THEN
      -- written by this call, at its first occurrence here (array_position: the keys may hold NULLs)
      flow_id := v_ids[array_position(v_keys, p_keys[i])];
      created := true;
    ELSE
      SELECT f.id, f.kind, f.asset, f.amount, f.from_party, f.to_party INTO v_old FROM credit.flows f WHERE f.idempotency_key = p_keys[i];
      IF (v_old.kind, v_old.asset, v_old.amount, v_old.from_party, v_old.to_party)
         IS DISTINCT FROM (p_kinds[i], p_assets[i], p_amounts[i], p_from[i], p_to[i]) THEN
        RAISE EXCEPTION 'ledger_key_reused' USING DETAIL = p_keys[i];
      END IF;
      flow_id := v_old.id;
      created := false;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;
