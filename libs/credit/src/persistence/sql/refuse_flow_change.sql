-- credit.flows is append-only: its BEFORE UPDATE OR DELETE and BEFORE TRUNCATE triggers call this.
CREATE OR REPLACE FUNCTION credit.refuse_flow_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION 'credit.flows is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
