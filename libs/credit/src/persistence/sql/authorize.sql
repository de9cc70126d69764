-- Places an authorization (DESIGN.md "Authorizations and refunds"): another service's hold on a
-- person's credit (p_person) or a team pool's (p_engagement), in the same ledger form as a turn's
-- hold (write_hold: a row in credit.holds with the authorization's id and its flow payer →
-- system:held), plus its row in credit.authorizations. Under the payer's lock, like every hold:
-- the person's row (account status: a suspended or deleted person is refused), or the pool's
-- engagement row (lock_payer); so parallel authorizations can't hold more than the balance.
--   p_assets: the assets that may pay, in tier priority (one when the caller named it); the
--   first whose balance covers the whole amount is held.
--   Spend limits (credit.spend_limits) apply as to a turn's hold: a person's own credit (staff's
--   and the person's own, the lower), counting its active holds (authorizations too) of the
--   period; an amount the credit covers but a limit's headroom doesn't → 'limit_reached' with
--   retry_at, the latest end of a short period. A pool has no member here: only its balance applies.
--   p_settings_version: stale → 'stale_settings' and nothing written.
-- Outcomes: authorized | person_not_found | engagement_not_found | account_suspended |
-- account_deleted | credit_exhausted | limit_reached | stale_settings.
CREATE OR REPLACE FUNCTION credit.authorize(
  p_id uuid, p_person uuid, p_engagement uuid, p_amount bigint, p_assets text[], p_at timestamptz,
  p_expires_at timestamptz, p_metadata jsonb, p_service_key uuid, p_settings_version bigint)
RETURNS TABLE (outcome text, asset text, balance_before bigint, retry_at timestamptz)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_status text;
  v_payer text;
  v_balance bigint;
  v_retry timestamptz;
  i integer;
BEGIN
  IF credit.settings_stale(p_settings_version) THEN
    RETURN QUERY SELECT 'stale_settings'::text, NULL::text, NULL::bigint, NULL::timestamptz;
    RETURN;
  END IF;
  IF p_person IS NOT NULL THEN
    SELECT p.account_status INTO v_status FROM persons p WHERE p.id = p_person FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'person_not_found'::text, NULL::text, NULL::bigint, NULL::timestamptz;
      RETURN;
    END IF;
    IF v_status <> 'active' THEN
      RETURN QUERY SELECT 'account_' || v_status, NULL::text, NULL::bigint, NULL::timestamptz;
      RETURN;
    END IF;
    v_payer := 'person:' || p_person;
  ELSE
    PERFORM 1 FROM engagements e WHERE e.id = p_engagement AND NOT e.personal;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'engagement_not_found'::text, NULL::text, NULL::bigint, NULL::timestamptz;
      RETURN;
    END IF;
    v_payer := 'engagement:' || p_engagement;
  END IF;
  PERFORM credit.lock_payer(v_payer);
  FOR i IN 1 .. coalesce(array_length(p_assets, 1), 0) LOOP
    v_balance := credit.party_balance(v_payer, p_assets[i]);
    CONTINUE WHEN v_balance < p_amount;
    SELECT max(l.period_end) INTO v_retry FROM credit.spend_limits(p_person, v_payer, NULL, p_at) l
     WHERE l.limit_amount - l.spent - l.held < p_amount;
    IF v_retry IS NOT NULL THEN
      RETURN QUERY SELECT 'limit_reached'::text, p_assets[i], v_balance, v_retry;
      RETURN;
    END IF;
    PERFORM credit.write_hold(
      p_hold => p_id, p_person => p_person, p_payer => v_payer, p_asset => p_assets[i], p_amount => p_amount,
      p_turn => p_id, p_at => p_at, p_expires_at => p_expires_at, p_rate_ids => NULL::bigint[],
      p_metadata => jsonb_build_object('authorizationId', p_id));
    INSERT INTO credit.authorizations (id, service_key_id, person_id, engagement_id, payer, asset, amount, status, expires_at, metadata, created_at)
    VALUES (p_id, p_service_key, p_person, CASE WHEN p_person IS NULL THEN p_engagement END, v_payer, p_assets[i], p_amount,
            'active', p_expires_at, coalesce(p_metadata, '{}'::jsonb), p_at);
    RETURN QUERY SELECT 'authorized'::text, p_assets[i], v_balance, NULL::timestamptz;
    RETURN;
  END LOOP;
  RETURN QUERY SELECT 'credit_exhausted'::text, NULL::text, NULL::bigint, NULL::timestamptz;
END
$$;
