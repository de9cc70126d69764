import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reservations (holds), DESIGN.md "Reservations": a system-key turn reserves a proven upper bound
 * of its cost before it calls the LLM (`person → system:held`, kind `hold`) and settles after
 * (release, then one consumption flow per stage), so parallel turns can never spend credit the
 * person does not have.
 *
 * Each phase is ONE SQL function call — one round trip — because the turn's credit work is on the
 * hot path: place (lock the person, gate, expire stale holds, pick the tier, size the hold,
 * write it), settle (release, price each stage at the current rates, charge, re-zero a deleted
 * person's remainder), end (release on an LLM failure, or expire). Lock order everywhere:
 * the person's row, then the hold's row, then balance rows (via the flows trigger).
 *
 * Money errors are raised with a fixed message the repository maps to a typed error:
 * `missing_rate` (DETAIL "<model> <kind>"), `ledger_key_reused` (DETAIL the key), `hold_not_found`,
 * `hold_already_settled`, `person_not_found`.
 *
 * History: the functions this migration created are defined today by their files in
 * libs/credit/src/persistence/sql (one file per function, applied on every start when changed);
 * the bodies below are what this migration did, not what the database runs.
 */
const OLD_PARTY = `'^(person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|system:(issuer|consumed|void))$'`;
const PARTY = `'^(person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|system:(issuer|consumed|void|held))$'`;
const OLD_KINDS = `'issuance', 'consumption', 'zeroing', 'referral', 'adjustment', 'reversal'`;
const KINDS = `${OLD_KINDS}, 'hold', 'release'`;

/** credit.place_hold as this migration made it (kept for FastHoldPaths' down). */
export const PLACE_HOLD_V1 = `
      CREATE FUNCTION credit.place_hold(
        p_person uuid, p_hold uuid, p_turn uuid, p_at timestamptz, p_ttl_seconds integer,
        p_max_in_flight integer, p_min_tokens integer, p_classifier text,
        p_classify_input bigint, p_classify_max bigint, p_respond_input bigint, p_respond_max bigint,
        p_assets text[], p_models text[])
      RETURNS TABLE (outcome text, asset text, responder_model text, amount bigint, max_tokens bigint,
                     balance_before bigint, expires_at timestamptz)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_status text;
        v_party text := 'person:' || p_person;
        v_stale uuid;
        v_in_flight integer;
        c record;
        r record;
        v_classify bigint;
        v_balance bigint;
        v_budget numeric;
        v_tokens numeric;
        v_respond bigint;
        i integer;
      BEGIN
        SELECT account_status INTO v_status FROM persons WHERE id = p_person FOR NO KEY UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'person_not_found'; END IF;
        IF v_status <> 'active' THEN
          RETURN QUERY SELECT 'account_' || v_status, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
          RETURN;
        END IF;
        -- The person's own stale holds (their turn died) are released here, not only by the sweeper.
        FOR v_stale IN SELECT h.id FROM credit.holds h WHERE h.person_id = p_person AND h.status = 'active' AND h.expires_at <= p_at LOOP
          PERFORM credit.end_hold(v_stale, 'expired', p_at);
        END LOOP;
        SELECT count(*) INTO v_in_flight FROM credit.holds h WHERE h.person_id = p_person AND h.status = 'active';
        IF v_in_flight >= p_max_in_flight THEN
          RETURN QUERY SELECT 'turns_in_flight'::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
          RETURN;
        END IF;
        FOR i IN 1 .. coalesce(array_length(p_assets, 1), 0) LOOP
          v_balance := credit.party_balance(v_party, p_assets[i]);
          CONTINUE WHEN v_balance <= 0;
          IF v_classify IS NULL THEN
            SELECT * INTO c FROM credit.bound_rates(p_classifier, p_at);
            v_classify := div(p_classify_input * c.in_num * c.out_den + p_classify_max * c.out_num * c.in_den
                              + c.in_den * c.out_den * 1000000 - 1, c.in_den * c.out_den * 1000000)::bigint;
          END IF;
          v_budget := v_balance - v_classify; -- whole credits left for the respond stage
          CONTINUE WHEN v_budget <= 0;
          SELECT * INTO r FROM credit.bound_rates(p_models[i], p_at);
          -- largest m with (input × in + m × out) / 10^6 ≤ budget, all as exact fractions
          v_tokens := v_budget * 1000000 * r.in_den * r.out_den - p_respond_input * r.in_num * r.out_den;
          CONTINUE WHEN v_tokens < 0;
          v_tokens := least(div(v_tokens, r.out_num * r.in_den), p_respond_max);
          CONTINUE WHEN v_tokens < p_min_tokens;
          v_respond := div(p_respond_input * r.in_num * r.out_den + v_tokens * r.out_num * r.in_den
                           + r.in_den * r.out_den * 1000000 - 1, r.in_den * r.out_den * 1000000)::bigint;
          INSERT INTO credit.holds (id, person_id, asset, amount, turn_id, status, expires_at, created_at, metadata)
          VALUES (p_hold, p_person, p_assets[i], v_classify + v_respond, p_turn, 'active',
                  p_at + make_interval(secs => p_ttl_seconds), p_at,
                  jsonb_build_object('classifier', p_classifier, 'responder', p_models[i],
                    'classify', jsonb_build_object('inputTokens', p_classify_input, 'maxTokens', p_classify_max, 'credits', v_classify),
                    'respond', jsonb_build_object('inputTokens', p_respond_input, 'maxTokens', v_tokens, 'credits', v_respond)));
          PERFORM credit.write_flow('hold', p_assets[i], v_classify + v_respond, v_party, 'system:held', p_person,
            'hold:' || p_hold, jsonb_build_object('holdId', p_hold, 'turnId', p_turn), p_at);
          RETURN QUERY SELECT 'placed'::text, p_assets[i], p_models[i], v_classify + v_respond, v_tokens::bigint,
                              v_balance, p_at + make_interval(secs => p_ttl_seconds);
          RETURN;
        END LOOP;
        RETURN QUERY SELECT 'credit_exhausted'::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
      END
      $$`;

/** credit.settle_hold as this migration made it (kept for FastHoldPaths' down). */
export const SETTLE_HOLD_V1 = `
      CREATE FUNCTION credit.settle_hold(p_hold uuid, p_turn uuid, p_at timestamptz, p_stages jsonb)
      RETURNS TABLE (asset text, held bigint, charged bigint, balance_before bigint, balance_after bigint,
                     hold_exceeded boolean, late boolean, stages jsonb)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_person uuid;
        v_status text;
        h credit.holds;
        v_party text;
        v_balance bigint;
        s jsonb;
        v_charge record;
        v_charges jsonb := '[]'::jsonb;
        v_total bigint := 0;
        v_exceeded boolean;
        v_flow bigint;
        v_out jsonb := '[]'::jsonb;
        v_meta jsonb;
      BEGIN
        SELECT person_id INTO v_person FROM credit.holds WHERE id = p_hold;
        IF NOT FOUND THEN RAISE EXCEPTION 'hold_not_found'; END IF;
        SELECT account_status INTO v_status FROM persons WHERE id = v_person FOR NO KEY UPDATE;
        SELECT * INTO h FROM credit.holds WHERE id = p_hold FOR UPDATE;
        IF h.status = 'settled' OR h.charged IS NOT NULL THEN RAISE EXCEPTION 'hold_already_settled'; END IF;
        v_party := 'person:' || h.person_id;
        v_balance := credit.party_balance(v_party, h.asset);
        late := h.status <> 'active';
        IF NOT late THEN
          PERFORM credit.write_flow('release', h.asset, h.amount, 'system:held', v_party, h.person_id,
            'release:' || h.id, jsonb_build_object('holdId', h.id, 'turnId', h.turn_id, 'reason', 'settled'), p_at);
          v_balance := v_balance + h.amount;
        END IF;
        balance_before := v_balance;
        FOR s IN SELECT * FROM jsonb_array_elements(p_stages) LOOP
          SELECT * INTO v_charge FROM credit.stage_charge(s ->> 'model', s -> 'tokens', p_at);
          v_charges := v_charges || jsonb_build_object('credits', v_charge.credits, 'rates', v_charge.rates);
          v_total := v_total + v_charge.credits;
        END LOOP;
        v_exceeded := v_total > h.amount;
        FOR i IN 0 .. jsonb_array_length(p_stages) - 1 LOOP
          s := p_stages -> i;
          v_flow := NULL;
          IF (v_charges -> i ->> 'credits')::bigint > 0 THEN
            v_meta := jsonb_build_object('turnId', p_turn, 'stage', s ->> 'stage', 'model', s ->> 'model',
                                         'tokens', s -> 'tokens', 'rates', v_charges -> i -> 'rates', 'holdId', h.id);
            IF v_exceeded THEN
              v_meta := v_meta || jsonb_build_object('holdExceeded', jsonb_build_object('holdId', h.id, 'held', h.amount, 'charged', v_total));
            END IF;
            IF late AND v_balance - v_total < 0 THEN
              v_meta := v_meta || jsonb_build_object('overdraft', 'late_settlement');
            END IF;
            v_flow := credit.write_flow('consumption', h.asset, (v_charges -> i ->> 'credits')::bigint, v_party, 'system:consumed',
              h.person_id, 'turn:' || p_turn || ':' || (s ->> 'stage'), v_meta, p_at);
          END IF;
          v_out := v_out || jsonb_build_object('stage', s ->> 'stage', 'credits', (v_charges -> i ->> 'credits')::bigint, 'flowId', v_flow::text);
        END LOOP;
        UPDATE credit.holds SET status = CASE WHEN status = 'active' THEN 'settled' ELSE status END,
                                ended_at = coalesce(ended_at, p_at), charged = v_total
         WHERE id = p_hold;
        IF v_status = 'deleted' THEN PERFORM credit.rezero(h.person_id, h.asset, h.id, p_at); END IF;
        asset := h.asset;
        held := h.amount;
        charged := v_total;
        balance_after := credit.party_balance(v_party, h.asset);
        hold_exceeded := v_exceeded;
        stages := v_out;
        RETURN NEXT;
      END
      $$`;

export class CreateHolds1764100001000 implements MigrationInterface {
  name = 'CreateHolds1764100001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit.flows
        DROP CONSTRAINT flows_kind_check, ADD CONSTRAINT flows_kind_check CHECK (kind IN (${KINDS})),
        DROP CONSTRAINT flows_from_party_check, ADD CONSTRAINT flows_from_party_check CHECK (from_party ~ ${PARTY}),
        DROP CONSTRAINT flows_to_party_check, ADD CONSTRAINT flows_to_party_check CHECK (to_party ~ ${PARTY})`);

    await q.query(`
      CREATE TABLE credit.holds (
        id          uuid PRIMARY KEY,
        person_id   uuid NOT NULL REFERENCES persons (id),
        asset       text NOT NULL,
        amount      bigint NOT NULL CHECK (amount > 0),
        turn_id     uuid NOT NULL,
        status      text NOT NULL CHECK (status IN ('active', 'settled', 'released', 'expired')),
        expires_at  timestamptz NOT NULL,
        created_at  timestamptz NOT NULL,
        ended_at    timestamptz,
        charged     bigint,
        metadata    jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX holds_person_active_idx ON credit.holds (person_id, expires_at) WHERE status = 'active'`);
    await q.query(`CREATE INDEX holds_expiry_idx ON credit.holds (expires_at) WHERE status = 'active'`);
    await q.query('CREATE INDEX holds_person_idx ON credit.holds (person_id, created_at DESC)');

    await q.query(`
      CREATE FUNCTION credit.party_balance(p_party text, p_asset text) RETURNS bigint
      LANGUAGE sql STABLE AS $$
        SELECT coalesce(sum(amount), 0)::bigint FROM credit.balances WHERE party = p_party AND asset = p_asset
      $$`);

    // The one way these functions append a flow: a retry under the same key returns the first
    // flow, but the same key with another kind, asset, amount or party is refused.
    await q.query(`
      CREATE FUNCTION credit.write_flow(p_kind text, p_asset text, p_amount bigint, p_from text, p_to text,
                                        p_person uuid, p_key text, p_metadata jsonb, p_at timestamptz) RETURNS bigint
      LANGUAGE plpgsql AS $$
      DECLARE
        v_id bigint;
        v_old record;
      BEGIN
        INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, metadata, created_at)
        VALUES (p_kind, p_asset, p_amount, p_from, p_to, p_person, p_key, p_metadata, p_at)
        ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NOT NULL THEN RETURN v_id; END IF;
        SELECT id, kind, asset, amount, from_party, to_party INTO v_old FROM credit.flows WHERE idempotency_key = p_key;
        IF (v_old.kind, v_old.asset, v_old.amount, v_old.from_party, v_old.to_party) IS DISTINCT FROM (p_kind, p_asset, p_amount, p_from, p_to) THEN
          RAISE EXCEPTION 'ledger_key_reused' USING DETAIL = p_key;
        END IF;
        RETURN v_old.id;
      END
      $$`);

    await q.query(`
      CREATE FUNCTION credit.current_rate(p_model text, p_kind text, p_at timestamptz,
                                          OUT id bigint, OUT num numeric, OUT den numeric)
      LANGUAGE sql STABLE AS $$
        SELECT id, credits_per_million_num::numeric, credits_per_million_den::numeric
          FROM credit.oracle_rate_config
         WHERE model = p_model AND token_kind = p_kind AND effective_from <= p_at
         ORDER BY effective_from DESC, id DESC LIMIT 1
      $$`);

    // Same rule as domain/oracle.ts creditsFor: ceil(Σ tokens × rate / 10^6), exact (numeric
    // fractions), one rounding per stage. A kind with tokens but no rate is refused, never free.
    await q.query(`
      CREATE FUNCTION credit.stage_charge(p_model text, p_tokens jsonb, p_at timestamptz, OUT credits bigint, OUT rates jsonb)
      LANGUAGE plpgsql STABLE AS $$
      DECLARE
        k text;
        t numeric;
        r record;
        acc_num numeric := 0;
        acc_den numeric := 1;
      BEGIN
        rates := '[]'::jsonb;
        IF NOT EXISTS (SELECT 1 FROM credit.oracle_rate_config WHERE model = p_model AND effective_from <= p_at) THEN
          RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' any';
        END IF;
        FOREACH k IN ARRAY ARRAY['input', 'output', 'cacheRead', 'cacheWrite'] LOOP
          t := coalesce((p_tokens ->> k)::numeric, 0);
          CONTINUE WHEN t = 0;
          SELECT * INTO r FROM credit.current_rate(p_model, k, p_at);
          IF r.id IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' ' || k; END IF;
          acc_num := acc_num * r.den + t * r.num * acc_den;
          acc_den := acc_den * r.den;
          rates := rates || jsonb_build_object('id', r.id::text, 'tokenKind', k,
            'creditsPerMillion', CASE WHEN r.den = 1 THEN r.num::text ELSE r.num::text || '/' || r.den::text END);
        END LOOP;
        credits := div(acc_num + acc_den * 1000000 - 1, acc_den * 1000000)::bigint;
      END
      $$`);

    // A stage's worst-case prices: input tokens at the highest of the input and cache rates
    // (the provider may report any split of them), output tokens at the output rate.
    await q.query(`
      CREATE FUNCTION credit.bound_rates(p_model text, p_at timestamptz,
                                         OUT in_num numeric, OUT in_den numeric, OUT out_num numeric, OUT out_den numeric)
      LANGUAGE plpgsql STABLE AS $$
      DECLARE
        r record;
        k text;
      BEGIN
        SELECT num, den INTO out_num, out_den FROM credit.current_rate(p_model, 'output', p_at);
        IF out_num IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' output'; END IF;
        SELECT num, den INTO in_num, in_den FROM credit.current_rate(p_model, 'input', p_at);
        IF in_num IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' input'; END IF;
        FOREACH k IN ARRAY ARRAY['cacheRead', 'cacheWrite'] LOOP
          SELECT * INTO r FROM credit.current_rate(p_model, k, p_at);
          IF r.id IS NOT NULL AND r.num * in_den > in_num * r.den THEN
            in_num := r.num;
            in_den := r.den;
          END IF;
        END LOOP;
      END
      $$`);

    // A deleted person's credit returned by a hold (release or settlement) goes to system:void again.
    await q.query(`
      CREATE FUNCTION credit.rezero(p_person uuid, p_asset text, p_hold uuid, p_at timestamptz) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        v_party text := 'person:' || p_person;
        v_balance bigint := credit.party_balance(v_party, p_asset);
      BEGIN
        IF v_balance = 0 THEN RETURN; END IF;
        PERFORM credit.write_flow('zeroing', p_asset, abs(v_balance),
          CASE WHEN v_balance > 0 THEN v_party ELSE 'system:void' END,
          CASE WHEN v_balance > 0 THEN 'system:void' ELSE v_party END,
          p_person, 'zeroing:' || p_person || ':' || p_asset || ':' || p_hold,
          jsonb_build_object('reason', 'account_deleted', 'holdId', p_hold), p_at);
      END
      $$`);

    // Ends an active hold without a charge: 'released' (its LLM call failed) or 'expired' (its
    // turn never settled). False when the hold is no longer active.
    await q.query(`
      CREATE FUNCTION credit.end_hold(p_hold uuid, p_status text, p_at timestamptz) RETURNS boolean
      LANGUAGE plpgsql AS $$
      DECLARE
        v_person uuid;
        v_status text;
        h credit.holds;
      BEGIN
        SELECT person_id INTO v_person FROM credit.holds WHERE id = p_hold;
        IF NOT FOUND THEN RETURN false; END IF;
        SELECT account_status INTO v_status FROM persons WHERE id = v_person FOR NO KEY UPDATE;
        SELECT * INTO h FROM credit.holds WHERE id = p_hold FOR UPDATE;
        IF h.status <> 'active' THEN RETURN false; END IF;
        PERFORM credit.write_flow('release', h.asset, h.amount, 'system:held', 'person:' || h.person_id, h.person_id,
          'release:' || h.id, jsonb_build_object('holdId', h.id, 'turnId', h.turn_id, 'reason', p_status), p_at);
        UPDATE credit.holds SET status = p_status, ended_at = p_at WHERE id = p_hold;
        IF v_status = 'deleted' THEN PERFORM credit.rezero(h.person_id, h.asset, h.id, p_at); END IF;
        RETURN true;
      END
      $$`);

    // Place: one call, under the person's row lock (the persons table is the lock every ledger
    // write for a person takes). p_assets / p_models: the tiers in priority order and their
    // responder models. Sizing: the classify stage is bounded by (input bound, its max_tokens);
    // the respond stage gets the largest max_tokens ≤ p_respond_max the rest of the balance
    // covers; below p_min_tokens the next tier is tried.
    await q.query(PLACE_HOLD_V1);

    // Settle, inside the transaction that records the turns: release the whole hold, charge
    // each stage at its model's current rates (p_stages: [{stage, model, tokens}]), mark the hold.
    // A hold that already expired (the sweeper released it) is a late settlement: the person is
    // charged directly, under the same keys. Usage above the hold is still charged and recorded
    // (holdExceeded in the consumption flows' metadata). Both balances are returned so callers
    // can see a crossing (credit.low).
    await q.query(SETTLE_HOLD_V1);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION IF EXISTS credit.settle_hold(uuid, uuid, timestamptz, jsonb)');
    await q.query('DROP FUNCTION IF EXISTS credit.place_hold(uuid, uuid, uuid, timestamptz, integer, integer, integer, text, bigint, bigint, bigint, bigint, text[], text[])');
    await q.query('DROP FUNCTION IF EXISTS credit.end_hold(uuid, text, timestamptz)');
    await q.query('DROP FUNCTION IF EXISTS credit.rezero(uuid, text, uuid, timestamptz)');
    await q.query('DROP FUNCTION IF EXISTS credit.bound_rates(text, timestamptz)');
    await q.query('DROP FUNCTION IF EXISTS credit.stage_charge(text, jsonb, timestamptz)');
    await q.query('DROP FUNCTION IF EXISTS credit.current_rate(text, text, timestamptz)');
    await q.query('DROP FUNCTION IF EXISTS credit.write_flow(text, text, bigint, text, text, uuid, text, jsonb, timestamptz)');
    await q.query('DROP FUNCTION IF EXISTS credit.party_balance(text, text)');
    await q.query('DROP TABLE credit.holds');
    await q.query(`
      ALTER TABLE credit.flows
        DROP CONSTRAINT flows_kind_check, ADD CONSTRAINT flows_kind_check CHECK (kind IN (${OLD_KINDS})),
        DROP CONSTRAINT flows_from_party_check, ADD CONSTRAINT flows_from_party_check CHECK (from_party ~ ${OLD_PARTY}),
        DROP CONSTRAINT flows_to_party_check, ADD CONSTRAINT flows_to_party_check CHECK (to_party ~ ${OLD_PARTY})`);
  }
}
