-- Callers cache system_config with the version they read it at and pass that version to
-- place/settle; true when the settings changed since (the call then writes nothing and answers
-- 'stale_settings', and the caller reads them again).
CREATE OR REPLACE FUNCTION credit.settings_stale(p_version bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN p_version IS DISTINCT FROM (SELECT version FROM system_config_version);
END
$$;
