-- qiao-model: v1
-- name: assistance-to-owners
-- title: Assistance paid to a household that owns real estate, vehicles or enterprises
-- needs: social_assistance(case_id, programme, recipient_id, household_id, period_from, period_to)
-- needs: household_members(member_id)
-- needs: real_estate(property_id, address, use, registered_at)
-- needs: vehicles(plate_no, vehicle_type, registered_at, owned_from, transferred_at, deregistered_at)
-- needs: enterprises(credit_code, name, role, role_since, role_until, established_at, deregistered_at)
-- parameter: exempt_vehicles text 三轮汽车,低速货车,摩托车,拖拉机 -- vehicle types a household may keep (livelihood)
-- explains: A minimum living allowance paid while a member of the recipient's household held,
--   during the period paid, a vehicle other than a livelihood vehicle, a stake in or the legal
--   representation of an enterprise in business, a non-residential property or a second home.
--   Holding is by the dates of holding, not of the thing: a vehicle from the day this owner
--   acquired it (`owned_from`) to the day it was sold on or deregistered; a stake from `role_since`
--   to `role_until` (退社, 退股) or the entity's deregistration (a merged entity's holders hold
--   stakes in the absorbing one from the merger). A car sold or a stake left before the allowance
--   began, or bought after it ended, is no finding. Homes are counted by address written one way
--   (号/號, spaces, full-width digits and 嘎查/村 made alike), so one home registered twice and
--   written differently is one home. Ask for `social_assistance` and `household_members` of the
--   recipient, then (follow-up) `real_estate`, `vehicles` and `enterprises` of every member.
WITH cases AS (
  SELECT ref, case_id, programme, recipient_id, household_id, CAST(period_from AS DATE) AS p_from,
         coalesce(CAST(period_to AS DATE), DATE '9999-12-31') AS p_to
  FROM social_assistance
),
members AS (
  SELECT DISTINCT c.*, m.member_id, m.ref AS member_ref FROM cases c JOIN household_members m ON m.subject = c.recipient_id
),
homes AS (
  SELECT m.ref AS case_ref, r.ref, r.property_id, r.use,
         replace(translate(r.address, '０１２３４５６７８９號 　', '0123456789号'), '嘎查', '村') AS home
  FROM members m JOIN real_estate r ON r.subject = m.member_id
  WHERE CAST(r.registered_at AS DATE) <= m.p_to
),
counted AS (
  SELECT *, count(DISTINCT home) FILTER (WHERE use IN ('住宅', '宅基地/住宅')) OVER (PARTITION BY case_ref) AS homes FROM homes
),
held AS (
  SELECT m.ref AS case_ref, v.ref, 'vehicle ' || v.plate_no || ' (' || v.vehicle_type || ', held from '
           || CAST(coalesce(v.owned_from, v.registered_at) AS VARCHAR) || coalesce(' to ' || CAST(v.transferred_at AS VARCHAR), '') || ')' AS what
  FROM members m JOIN vehicles v ON v.subject = m.member_id
  WHERE NOT list_contains(string_split($exempt_vehicles, ','), v.vehicle_type)
    AND CAST(coalesce(v.owned_from, v.registered_at) AS DATE) <= m.p_to
    AND least(coalesce(CAST(v.transferred_at AS DATE), DATE '9999-12-31'), coalesce(CAST(v.deregistered_at AS DATE), DATE '9999-12-31')) > m.p_from
  UNION ALL
  SELECT m.ref, e.ref, 'enterprise ' || e.name || ' ' || e.credit_code || ' (' || e.role || ' since ' || CAST(coalesce(e.role_since, e.established_at) AS VARCHAR) || ')'
  FROM members m JOIN enterprises e ON e.subject = m.member_id
  WHERE e.role IS NOT NULL AND CAST(coalesce(e.role_since, e.established_at) AS DATE) <= m.p_to
    AND least(coalesce(CAST(e.role_until AS DATE), DATE '9999-12-31'), coalesce(CAST(e.deregistered_at AS DATE), DATE '9999-12-31')) > m.p_from
  UNION ALL
  SELECT case_ref, ref, 'property ' || property_id || ' (' || use || ')' FROM counted
  WHERE use NOT IN ('住宅', '宅基地/住宅') OR homes > 1
)
SELECT
  c.programme || ' ' || c.case_id || ' paid to household ' || c.household_id || ' from ' || CAST(c.p_from AS VARCHAR)
    || ' while its members held: ' || string_agg(DISTINCT h.what, '; ' ORDER BY h.what) AS finding,
  list_distinct([c.ref] || list(h.ref)) AS records,
  c.case_id, c.recipient_id, c.household_id
FROM cases c JOIN held h ON h.case_ref = c.ref
GROUP BY c.ref, c.programme, c.case_id, c.recipient_id, c.household_id, c.p_from
ORDER BY c.case_id
