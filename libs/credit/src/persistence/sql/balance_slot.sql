-- Which of a party's balance rows a flow updates (DESIGN.md "Ledger"). Person parties use slot 0:
-- one person's writes serialize on their row lock anyway. System parties are touched by every
-- flow, and a team pool (engagement:<id>) by every member's turns, so they are spread over 1024 rows
-- chosen from the flow's person id: different persons' (members') writes don't queue on one row
-- (a pool's settlements and releases then run in parallel; only placing a hold takes the pool's
-- lock, lock_payer). Flows without a person (funding a pool) use slot 0. A party's balance is the
-- sum over its slots.
CREATE OR REPLACE FUNCTION credit.balance_slot(party text, person_id uuid)
RETURNS smallint
LANGUAGE sql IMMUTABLE
AS $$
  SELECT CASE
    WHEN party LIKE 'person:%' OR person_id IS NULL THEN 0
    ELSE (abs(hashtextextended(person_id::text, 0)) % 1024)::smallint
  END
$$;
