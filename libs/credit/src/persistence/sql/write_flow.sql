-- One flow through the ledger's one flow writer (write_flows: its idempotency rule, and the
-- refusal of a key reused for another transfer, 'ledger_key_reused').
CREATE OR REPLACE FUNCTION credit.write_flow(p_kind text, p_asset text, p_amount bigint, p_from text, p_to text,
                                             p_person uuid, p_key text, p_metadata jsonb, p_at timestamptz,
                                             p_grant uuid DEFAULT NULL,
                                             OUT flow_id bigint, OUT created boolean)
LANGUAGE plpgsql
AS $$
BEGIN
  SELECT w.flow_id, w.created INTO flow_id, created
    FROM credit.write_flows(p_kinds => ARRAY[p_kind], p_assets => ARRAY[p_asset], p_amounts => ARRAY[p_amount],
                            p_from => ARRAY[p_from], p_to => ARRAY[p_to], p_persons => ARRAY[p_person], p_keys => ARRAY[p_key],
                            p_metadata => ARRAY[p_metadata], p_at => p_at, p_grants => ARRAY[p_grant]) w;
END
$$;
