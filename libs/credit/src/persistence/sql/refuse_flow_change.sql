-- credit.flows and credit.seals are append-only: their BEFORE UPDATE OR DELETE and BEFORE TRUNCATE
-- triggers call this.
CREATE OR REPLACE FUNCTION credit.refuse_flow_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
