-- The spend scopes of a charge (DESIGN.md "Spend limits and team pools"), the keys of
-- credit.spend_counters and of the limits:
--   a person's own credit: 'person:<person>' (payer 'person:<person>');
--   a member within a pool: 'member:<engagement>:<person>' (payer 'engagement:<engagement>');
--   an API key: 'key:<apiKeyId>' (a Messages API request's hold, whoever pays).
-- The uuids cast to text: `text || uuid` is the stable anytextcat, and an immutable SQL function
-- whose body calls a stable one is not inlined, so each call ran as a statement of its own.
CREATE OR REPLACE FUNCTION credit.spend_scopes(p_person uuid, p_payer text, p_api_key uuid)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
AS $$
  SELECT array_remove(ARRAY[
    CASE WHEN p_payer LIKE 'engagement:%' THEN 'member:' || substr(p_payer, 12) || ':' || p_person::text
         ELSE 'person:' || p_person::text END,
    CASE WHEN p_api_key IS NOT NULL THEN 'key:' || p_api_key::text END], NULL)
$$;
