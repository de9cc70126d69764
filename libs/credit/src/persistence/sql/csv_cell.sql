-- One free-text cell of a CSV export (RFC 4180; OWASP "CSV Injection"): null is empty; text a
-- spreadsheet would run as a formula — starting with = + - @, a tab or a carriage return, or their
-- full-width forms — gets a leading '; text with a comma, a quote or a line break is quoted, its
-- quotes doubled. The exports build each line in their query with this (ledger-export.repository.ts):
-- done in the API, the million rows' cells were the bulk of its CPU and garbage.
-- Not STRICT and one expression, so the planner inlines it.
CREATE OR REPLACE FUNCTION credit.csv_cell(p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN p_value IS NULL THEN ''
              ELSE CASE WHEN p_value ~ E'[",\r\n]' THEN '"' ELSE '' END
                || CASE WHEN p_value ~ E'^[=+@\t\r\uFF1D\uFF0B\uFF0D\uFF20-]' THEN '''' ELSE '' END
                || replace(p_value, '"', '""')
                || CASE WHEN p_value ~ E'[",\r\n]' THEN '"' ELSE '' END
         END
$$;
