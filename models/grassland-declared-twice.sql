-- qiao-model: v1
-- name: grassland-declared-twice
-- title: Grassland subsidy declared twice for the same area
-- needs: subsidies(recipient_id, household_id, programme, year, village, village_code, contract_id, declared_area_mu, amount)
-- needs: household(household_id)
-- parameter: from_year integer 2016 -- the first subsidy year compared
-- explains: Two grassland ecological protection subsidy payments of one year, for the same area
--   in the same village under two different contracts, to people who are registered in one
--   household now. The seed's case: the sons' contracts were never cancelled and the same
--   parcels were contracted and declared again by the father after the sons were moved into his
--   household. Ask for `subsidies` and `household` of the household's members.
--   Villages are compared by their 12-digit village code (shaped like 统计用区划代码), not by name: finance writes
--   the name in force when it paid, so a renamed village (村改名) appears under its old and its
--   new name, and villages of different towns may share a name.
WITH pay AS (
  SELECT s.ref, s.recipient_id, s.village, s.village_code, s.contract_id,
         CAST(s.declared_area_mu AS DOUBLE) AS area_mu, CAST(s.year AS INTEGER) AS year,
         CAST(s.amount AS DOUBLE) AS amount, h.household_id AS lives_in, h.ref AS household_ref
  FROM subsidies s JOIN household h ON h.subject = s.recipient_id
  WHERE s.programme = '草原生态保护补助奖励' AND s.contract_id IS NOT NULL AND CAST(s.year AS INTEGER) >= $from_year
)
SELECT
  'Household ' || a.lives_in || ': ' || a.area_mu || ' mu in ' || string_agg(DISTINCT a.village, ' / ' ORDER BY a.village)
    || ' (' || a.village_code || ') paid twice in '
    || string_agg(DISTINCT CAST(a.year AS VARCHAR), ', ' ORDER BY CAST(a.year AS VARCHAR))
    || ', under ' || a.contract_id || ' (' || a.recipient_id || ') and ' || b.contract_id || ' (' || b.recipient_id || '), '
    || CAST(sum(b.amount) AS VARCHAR) || ' yuan paid twice' AS finding,
  list_distinct(list(a.ref) || list(b.ref) || list(a.household_ref) || list(b.household_ref)) AS records,
  a.lives_in AS household_id, a.village_code, a.area_mu, a.contract_id, b.contract_id AS same_area_contract
FROM pay a JOIN pay b
  ON a.lives_in = b.lives_in AND a.year = b.year AND a.village_code = b.village_code AND a.area_mu = b.area_mu AND a.contract_id < b.contract_id
GROUP BY a.lives_in, a.village_code, a.area_mu, a.contract_id, b.contract_id, a.recipient_id, b.recipient_id
ORDER BY a.lives_in, a.area_mu
