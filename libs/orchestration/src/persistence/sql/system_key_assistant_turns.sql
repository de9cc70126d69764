-- The assistant turns answered on the system's LLM key, oldest first: the read of orchestration's
-- turns table that other modules may make (the reconciler checks each was charged). Plain SQL, so
-- the planner inlines it into the caller's query (its WHERE and LIMIT reach the table).
CREATE OR REPLACE FUNCTION public.system_key_assistant_turns()
RETURNS TABLE (turn_id uuid, person_id uuid, created_at timestamptz)
LANGUAGE sql STABLE
AS $$
  SELECT t.id, t.person_id, t.created_at
    FROM turns t
   WHERE t.role = 'assistant' AND t.key_source = 'system'
$$;
