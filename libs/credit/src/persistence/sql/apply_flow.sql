-- The only writer of credit.balances: the AFTER INSERT trigger on credit.flows adds the flow to
-- both sides (from −amount, to +amount). The payer side first, then the system side: every
-- transaction takes row locks in the same order, so opposite-direction flows of one person
-- (a claim and a negative adjustment) can't deadlock.
CREATE OR REPLACE FUNCTION credit.apply_flow()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  first_party text := CASE WHEN NEW.to_party LIKE 'person:%' THEN NEW.to_party ELSE NEW.from_party END;
  second_party text := CASE WHEN NEW.to_party LIKE 'person:%' THEN NEW.from_party ELSE NEW.to_party END;
BEGIN
  INSERT INTO credit.balances AS b (party, asset, slot, amount)
    VALUES (first_party, NEW.asset, credit.balance_slot(first_party, NEW.person_id),
            CASE WHEN first_party = NEW.to_party THEN NEW.amount ELSE -NEW.amount END)
    ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount;
  INSERT INTO credit.balances AS b (party, asset, slot, amount)
    VALUES (second_party, NEW.asset, credit.balance_slot(second_party, NEW.person_id),
            CASE WHEN first_party = NEW.to_party THEN -NEW.amount ELSE NEW.amount END)
    ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount;
  RETURN NULL;
END
$$;
