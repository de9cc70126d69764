-- The only writer of credit.balances: the AFTER INSERT trigger on credit.flows adds the flow to
-- both sides (from −amount, to +amount). The payer side first, then the system side: every
-- transaction takes row locks in the same order, so opposite-direction flows of one person
-- (a claim and a negative adjustment) can't deadlock. A team pool is a payer too: a release to the
-- pool (system:held → pool) used to lock the held slot first while a member's hold (pool →
-- system:held) locked the pool's slot first, and two members sharing a slot deadlocked.
-- Amounts stay in range (DESIGN.md "Bounded everything"): a flow that would leave a person's (or
-- pool's) balance outside ±(2^53−1), the integers JSON carries exactly, is refused
-- ('amount_out_of_range', DETAIL the party) and, the statement failing, nothing is written.
-- A person party uses one balance row (slot 0), so the row is the balance; a pool's balance is the
-- sum over its slots (balance_slot), added up here for the flows without a person (funding and
-- debits by staff): a member's hold, release or charge can't take it further than it was.
CREATE OR REPLACE FUNCTION credit.apply_flow()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  -- the payer side: a person, else the party that is not a system one (a team pool, whose slots
  -- are locked like a person's row before the system slot, whichever way the flow goes)
  first_party text := CASE WHEN NEW.to_party LIKE 'person:%' THEN NEW.to_party
                           WHEN NEW.from_party LIKE 'person:%' THEN NEW.from_party
                           WHEN NEW.to_party LIKE 'system:%' THEN NEW.from_party
                           ELSE NEW.to_party END;
  second_party text := CASE WHEN first_party = NEW.to_party THEN NEW.from_party ELSE NEW.to_party END;
  v_first bigint;
  v_second bigint;
  v_pool text;
BEGIN
  INSERT INTO credit.balances AS b (party, asset, slot, amount)
    VALUES (first_party, NEW.asset, credit.balance_slot(first_party, NEW.person_id),
            CASE WHEN first_party = NEW.to_party THEN NEW.amount ELSE -NEW.amount END)
    ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount
    RETURNING b.amount INTO v_first;
  INSERT INTO credit.balances AS b (party, asset, slot, amount)
    VALUES (second_party, NEW.asset, credit.balance_slot(second_party, NEW.person_id),
            CASE WHEN first_party = NEW.to_party THEN -NEW.amount ELSE NEW.amount END)
    ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount
    RETURNING b.amount INTO v_second;
  IF first_party NOT LIKE 'system:%' AND v_first NOT BETWEEN -9007199254740991 AND 9007199254740991 THEN
    RAISE EXCEPTION 'amount_out_of_range' USING DETAIL = first_party;
  END IF;
  -- A pool's slots hold its members' flows; funding and debits (no person: slot 0) are checked on the sum.
  IF NEW.person_id IS NULL AND (NEW.to_party LIKE 'engagement:%' OR NEW.from_party LIKE 'engagement:%') THEN
    v_pool := CASE WHEN NEW.to_party LIKE 'engagement:%' THEN NEW.to_party ELSE NEW.from_party END;
    IF credit.party_balance(v_pool, NEW.asset) NOT BETWEEN -9007199254740991 AND 9007199254740991 THEN
      RAISE EXCEPTION 'amount_out_of_range' USING DETAIL = v_pool;
    END IF;
  END IF;
  IF second_party NOT LIKE 'system:%' AND v_second NOT BETWEEN -9007199254740991 AND 9007199254740991 THEN
    RAISE EXCEPTION 'amount_out_of_range' USING DETAIL = second_party;
  END IF;
  RETURN NULL;
END
$$;
