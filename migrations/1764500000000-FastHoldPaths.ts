import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PLACE_HOLD_V1, SETTLE_HOLD_V1 } from './1764100001000-CreateHolds';

/**
 * The turn's credit work, cheaper per round trip, and the credit-path events (DESIGN.md "Events
 * and webhooks"):
 *
 * - `system_config_version`: one row, bumped by a statement trigger on every change of
 *   system_config. Callers cache the settings with the version they were read at and pass it to
 *   place/settle; a call made with an older version writes nothing and answers `stale_settings`
 *   (the caller re-reads and calls again). So the settings cost no round trip on the hot path and
 *   an instance never acts on settings another instance has since changed.
 * - The rate and balance helpers become plpgsql (their plans are cached per connection; a SQL
 *   function that can't be inlined is planned on every call), and a stage's rates are read in one
 *   query instead of one per token kind.
 * - place_hold reads the person's active holds once (stale ones and the in-flight count).
 * - settle_hold also answers the person, whether the balance crossed below the asset's
 *   low-balance threshold (credit.low, once per crossing) and, then, the person's address, so
 *   the caller writes the event and the notice mail in the same transaction without reading
 *   anything else. The crossing is judged on the person's whole credit — spendable plus what
 *   their other turns still hold — so parallel turns are judged as if they ran one after another.
 * - `credit.exhaustion_notices`: a row per person and asset whose exhaustion was announced
 *   (credit.exhausted); a grant, adjustment or referral credit to the person removes it (trigger),
 *   so the next refusal is announced again.
 *
 * History: the functions this migration created are defined today by their files in
 * libs/credit/src/persistence/sql (one file per function, applied on every start when changed);
 * the bodies below are what this migration did, not what the database runs.
 */
const OLD_PLACE_ARGS = 'uuid, uuid, uuid, timestamptz, integer, integer, integer, text, bigint, bigint, bigint, bigint, text[], text[]';
const NEW_PLACE_ARGS = `${OLD_PLACE_ARGS}, bigint`;

export class FastHoldPaths1764500000000 implements MigrationInterface {
  name = 'FastHoldPaths1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE system_config_version (
        id      boolean PRIMARY KEY DEFAULT true CHECK (id),
        version bigint NOT NULL
      )`);
    await q.query('INSERT INTO system_config_version (version) VALUES (1)');
    await q.query(`
      CREATE FUNCTION bump_system_config_version() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE system_config_version SET version = version + 1;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER system_config_versioned AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON system_config
        FOR EACH STATEMENT EXECUTE FUNCTION bump_system_config_version()`);
    await q.query(`
      CREATE FUNCTION credit.settings_stale(p_version bigint) RETURNS boolean
      LANGUAGE plpgsql STABLE AS $$
      BEGIN
        RETURN p_version IS DISTINCT FROM (SELECT version FROM system_config_version);
      END
      $$`);

    await q.query(`
      CREATE TABLE credit.exhaustion_notices (
        person_id   uuid NOT NULL REFERENCES persons (id),
        asset       text NOT NULL,
        notified_at timestamptz NOT NULL,
        PRIMARY KEY (person_id, asset)
      )`);
    await q.query(`
      CREATE FUNCTION credit.rearm_exhaustion_notice() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM credit.exhaustion_notices WHERE person_id = NEW.person_id AND asset = NEW.asset;
        RETURN NULL;
      END
      $$`);
    // The WHEN clause keeps the hot path (hold, release, consumption) free of the call.
    await q.query(`
      CREATE TRIGGER flows_rearm_exhaustion AFTER INSERT ON credit.flows FOR EACH ROW
        WHEN (NEW.kind IN ('issuance', 'adjustment', 'referral') AND NEW.person_id IS NOT NULL AND NEW.to_party LIKE 'person:%')
        EXECUTE FUNCTION credit.rearm_exhaustion_notice()`);

    await q.query(`
      CREATE OR REPLACE FUNCTION credit.party_balance(p_party text, p_asset text) RETURNS bigint
      LANGUAGE plpgsql STABLE AS $$
      BEGIN
        RETURN (SELECT coalesce(sum(amount), 0)::bigint FROM credit.balances WHERE party = p_party AND asset = p_asset);
      END
      $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION credit.current_rate(p_model text, p_kind text, p_at timestamptz,
                                                     OUT id bigint, OUT num numeric, OUT den numeric)
      LANGUAGE plpgsql STABLE AS $$
      BEGIN
        SELECT r.id, r.credits_per_million_num::numeric, r.credits_per_million_den::numeric INTO id, num, den
          FROM credit.oracle_rate_config r
         WHERE r.model = p_model AND r.token_kind = p_kind AND r.effective_from <= p_at
         ORDER BY r.effective_from DESC, r.id DESC LIMIT 1;
      END
      $$`);

    // The current rate of every token kind of a model, in one query (kinds in the oracle's order).
    await q.query(`
      CREATE FUNCTION credit.model_rates(p_model text, p_at timestamptz)
      RETURNS TABLE (token_kind text, id bigint, num numeric, den numeric)
      LANGUAGE sql STABLE AS $$
        SELECT token_kind, id, num, den FROM (
          SELECT DISTINCT ON (r.token_kind) r.token_kind, r.id, r.credits_per_million_num::numeric AS num,
                 r.credits_per_million_den::numeric AS den
            FROM credit.oracle_rate_config r
           WHERE r.model = p_model AND r.effective_from <= p_at
           ORDER BY r.token_kind, r.effective_from DESC, r.id DESC) x
         ORDER BY array_position(ARRAY['input', 'output', 'cacheRead', 'cacheWrite'], x.token_kind)
      $$`);

    // Same rule as before (domain/oracle.ts creditsFor): ceil(Σ tokens × rate / 10^6), exact, one
    // rounding per stage; a kind with tokens but no rate is refused, never free.
    await q.query(`
      CREATE OR REPLACE FUNCTION credit.stage_charge(p_model text, p_tokens jsonb, p_at timestamptz, OUT credits bigint, OUT rates jsonb)
      LANGUAGE plpgsql STABLE AS $$
      DECLARE
        k text;
        t numeric;
        r record;
        v_any boolean := false;
        v_priced text[] := '{}';
        acc_num numeric := 0;
        acc_den numeric := 1;
      BEGIN
        rates := '[]'::jsonb;
        FOR r IN SELECT * FROM credit.model_rates(p_model, p_at) LOOP
          v_any := true;
          v_priced := v_priced || r.token_kind;
          t := coalesce((p_tokens ->> r.token_kind)::numeric, 0);
          CONTINUE WHEN t = 0;
          acc_num := acc_num * r.den + t * r.num * acc_den;
          acc_den := acc_den * r.den;
          rates := rates || jsonb_build_object('id', r.id::text, 'tokenKind', r.token_kind,
            'creditsPerMillion', CASE WHEN r.den = 1 THEN r.num::text ELSE r.num::text || '/' || r.den::text END);
        END LOOP;
        IF NOT v_any THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' any'; END IF;
        FOREACH k IN ARRAY ARRAY['input', 'output', 'cacheRead', 'cacheWrite'] LOOP
          IF coalesce((p_tokens ->> k)::numeric, 0) <> 0 AND NOT k = ANY (v_priced) THEN
            RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' ' || k;
          END IF;
        END LOOP;
        credits := div(acc_num + acc_den * 1000000 - 1, acc_den * 1000000)::bigint;
      END
      $$`);

    // A stage's worst-case prices (input at the highest of the input and cache rates), one query.
    await q.query(`
      CREATE OR REPLACE FUNCTION credit.bound_rates(p_model text, p_at timestamptz,
                                                    OUT in_num numeric, OUT in_den numeric, OUT out_num numeric, OUT out_den numeric)
      LANGUAGE plpgsql STABLE AS $$
      DECLARE
        r record;
        c_num numeric[] := '{}';
        c_den numeric[] := '{}';
        i integer;
      BEGIN
        FOR r IN SELECT * FROM credit.model_rates(p_model, p_at) LOOP
          IF r.token_kind = 'output' THEN out_num := r.num; out_den := r.den;
          ELSIF r.token_kind = 'input' THEN in_num := r.num; in_den := r.den;
          ELSE c_num := c_num || r.num; c_den := c_den || r.den;
          END IF;
        END LOOP;
        IF out_num IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' output'; END IF;
        IF in_num IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' input'; END IF;
        FOR i IN 1 .. coalesce(array_length(c_num, 1), 0) LOOP
          IF c_num[i] * in_den > in_num * c_den[i] THEN
            in_num := c_num[i];
            in_den := c_den[i];
          END IF;
        END LOOP;
      END
      $$`);

    await q.query(`DROP FUNCTION credit.place_hold(${OLD_PLACE_ARGS})`);
    // As in CreateHolds, plus p_settings_version (stale → 'stale_settings', nothing written) and
    // the person's active holds read once.
    await q.query(`
      CREATE FUNCTION credit.place_hold(
        p_person uuid, p_hold uuid, p_turn uuid, p_at timestamptz, p_ttl_seconds integer,
        p_max_in_flight integer, p_min_tokens integer, p_classifier text,
        p_classify_input bigint, p_classify_max bigint, p_respond_input bigint, p_respond_max bigint,
        p_assets text[], p_models text[], p_settings_version bigint)
      RETURNS TABLE (outcome text, asset text, responder_model text, amount bigint, max_tokens bigint,
                     balance_before bigint, expires_at timestamptz)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_status text;
        v_party text := 'person:' || p_person;
        v_stale uuid[];
        v_id uuid;
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
        IF credit.settings_stale(p_settings_version) THEN
          RETURN QUERY SELECT 'stale_settings'::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
          RETURN;
        END IF;
        SELECT account_status INTO v_status FROM persons WHERE id = p_person FOR NO KEY UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'person_not_found'; END IF;
        IF v_status <> 'active' THEN
          RETURN QUERY SELECT 'account_' || v_status, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
          RETURN;
        END IF;
        -- The person's own stale holds (their turn died) are released here, not only by the sweeper.
        SELECT count(*) FILTER (WHERE h.expires_at > p_at), array_agg(h.id) FILTER (WHERE h.expires_at <= p_at)
          INTO v_in_flight, v_stale
          FROM credit.holds h WHERE h.person_id = p_person AND h.status = 'active';
        IF v_stale IS NOT NULL THEN
          FOREACH v_id IN ARRAY v_stale LOOP PERFORM credit.end_hold(v_id, 'expired', p_at); END LOOP;
        END IF;
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
      $$`);

    await q.query('DROP FUNCTION credit.settle_hold(uuid, uuid, timestamptz, jsonb)');
    // As in CreateHolds (release, charge each stage, mark, re-zero a deleted person), plus:
    // p_settings_version (stale → 'stale_settings', nothing written), p_low_thresholds (asset →
    // credits) to tell a crossing, and the person, the crossing and the address in the answer.
    // The balance after is computed, not read again.
    await q.query(`
      CREATE FUNCTION credit.settle_hold(p_hold uuid, p_turn uuid, p_at timestamptz, p_stages jsonb,
                                         p_low_thresholds jsonb, p_settings_version bigint)
      RETURNS TABLE (outcome text, person_id uuid, asset text, held bigint, charged bigint, balance_before bigint,
                     balance_after bigint, hold_exceeded boolean, late boolean, stages jsonb,
                     low_crossed boolean, credit_after bigint, low_threshold bigint, email text)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_person uuid;
        v_status text;
        v_email text;
        h credit.holds;
        v_party text;
        v_balance bigint;
        v_after bigint;
        v_other_held bigint;
        s jsonb;
        v_charge record;
        v_charges jsonb := '[]'::jsonb;
        v_total bigint := 0;
        v_exceeded boolean;
        v_flow bigint;
        v_out jsonb := '[]'::jsonb;
        v_meta jsonb;
        v_threshold bigint;
      BEGIN
        IF credit.settings_stale(p_settings_version) THEN
          outcome := 'stale_settings';
          RETURN NEXT;
          RETURN;
        END IF;
        SELECT h0.person_id INTO v_person FROM credit.holds h0 WHERE h0.id = p_hold;
        IF NOT FOUND THEN RAISE EXCEPTION 'hold_not_found'; END IF;
        SELECT account_status, p.email INTO v_status, v_email FROM persons p WHERE p.id = v_person FOR NO KEY UPDATE;
        SELECT * INTO h FROM credit.holds h1 WHERE h1.id = p_hold FOR UPDATE;
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
        UPDATE credit.holds h2 SET status = CASE WHEN h2.status = 'active' THEN 'settled' ELSE h2.status END,
                                   ended_at = coalesce(h2.ended_at, p_at), charged = v_total
         WHERE h2.id = p_hold;
        v_after := v_balance - v_total;
        low_crossed := false;
        IF v_status = 'deleted' THEN
          PERFORM credit.rezero(h.person_id, h.asset, h.id, p_at);
          v_after := 0;
        ELSE
          -- A crossing is possible only when the spendable balance ended below the threshold;
          -- only then are the person's other active holds added up.
          v_threshold := (p_low_thresholds ->> h.asset)::bigint;
          IF v_threshold IS NOT NULL AND v_after < v_threshold THEN
            SELECT coalesce(sum(h3.amount), 0)::bigint INTO v_other_held
              FROM credit.holds h3 WHERE h3.person_id = h.person_id AND h3.asset = h.asset AND h3.status = 'active';
            low_crossed := v_balance + v_other_held >= v_threshold AND v_after + v_other_held < v_threshold;
            IF low_crossed THEN
              credit_after := v_after + v_other_held;
              low_threshold := v_threshold;
              email := v_email;
            END IF;
          END IF;
        END IF;
        outcome := 'settled';
        person_id := h.person_id;
        asset := h.asset;
        held := h.amount;
        charged := v_total;
        balance_after := v_after;
        hold_exceeded := v_exceeded;
        stages := v_out;
        RETURN NEXT;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // place/settle go back to CreateHolds' versions; the helpers keep their plpgsql bodies
    // (same signatures, same answers), which CreateHolds' own down drops.
    await q.query('DROP FUNCTION IF EXISTS credit.settle_hold(uuid, uuid, timestamptz, jsonb, jsonb, bigint)');
    await q.query(`DROP FUNCTION IF EXISTS credit.place_hold(${NEW_PLACE_ARGS})`);
    await q.query(PLACE_HOLD_V1);
    await q.query(SETTLE_HOLD_V1);
    await q.query('DROP FUNCTION IF EXISTS credit.model_rates(text, timestamptz)');
    await q.query('DROP TRIGGER flows_rearm_exhaustion ON credit.flows');
    await q.query('DROP FUNCTION credit.rearm_exhaustion_notice()');
    await q.query('DROP TABLE credit.exhaustion_notices');
    await q.query('DROP FUNCTION IF EXISTS credit.settings_stale(bigint)');
    await q.query('DROP TRIGGER system_config_versioned ON system_config');
    await q.query('DROP FUNCTION bump_system_config_version()');
    await q.query('DROP TABLE system_config_version');
  }
}
