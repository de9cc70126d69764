-- A one-statement placement or settlement that queues behind others on its payer's lock lets the
-- next in line go as soon as it commits, not after its commit's WAL flush (DESIGN.md "The Messages
-- API": the gateway adds no round trip — unless its payer is contended, when it adds one so that
-- the payer's queue moves at the speed of the statements instead of the disk's flushes).
-- Called first in the transaction. Takes the person's row lock when it is free (the lock every
-- ledger write for the person takes first anyway: hold_gate, settle_hold, end_hold) and answers
-- false: uncontended, the commit flushes as usual. When another transaction holds it (SKIP LOCKED
-- found no row: the person's parallel requests, on one key or several, queue on it), or
-- p_pool_pays (a team pool's placement: its engagement row is where all its members' placements
-- queue, as place_hold's p_async_commit), it turns this transaction's synchronous_commit off and
-- answers true: the caller must make the result durable (confirm_hold, confirm_settlement: a
-- synchronous commit after it) before acting on it.
-- A person who doesn't exist finds no row either: the caller's gate refuses them as before.
CREATE OR REPLACE FUNCTION credit.commit_early_if_contended(p_person uuid, p_pool_pays boolean)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
  IF p_pool_pays OR NOT EXISTS (SELECT 1 FROM persons WHERE id = p_person FOR NO KEY UPDATE SKIP LOCKED) THEN
    PERFORM set_config('synchronous_commit', 'off', true); -- this transaction's commit only
    RETURN true;
  END IF;
  RETURN false;
END
$$;
