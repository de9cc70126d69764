-- Which of a party's balance rows a flow updates (DESIGN.md "Ledger"). Person (and pool) parties
-- use slot 0: one payer's writes serialize on its row lock anyway. System parties are touched by
-- every flow, so they are spread over 64 rows chosen from the flow's person id, and different
-- persons' writes don't queue on one row; a party's balance is the sum over its slots.
CREATE OR REPLACE FUNCTION credit.balance_slot(party text, person_id uuid)
RETURNS smallint
LANGUAGE sql IMMUTABLE
AS $$
  SELECT CASE
    WHEN party NOT LIKE 'system:%' OR person_id IS NULL THEN 0
    ELSE (abs(hashtextextended(person_id::text, 0)) % 64)::smallint
  END
$$;
