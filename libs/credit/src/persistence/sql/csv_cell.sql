-- One free-text cell of a CSV export, neutralised (OWASP "CSV Injection"): text a spreadsheet would
-- run as a formula — starting with = + - @, a tab or a carriage return, or their full-width forms —
-- gets a leading '. Null stays null. Quoting is not done here: the exports are written by COPY's
-- CSV format (ledger-export.repository.ts), which quotes a cell holding a comma, a quote or a line
-- break, its quotes doubled, and writes null as an empty cell.
-- Not STRICT and one expression, so the planner inlines it.
CREATE OR REPLACE FUNCTION credit.csv_cell(p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN p_value ~ E'^[=+@\t\r\uFF1D\uFF0B\uFF0D\uFF20-]' THEN '''' || p_value ELSE p_value END
$$;
