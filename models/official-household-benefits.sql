-- qiao-model: v1
-- name: official-household-benefits
-- title: Assistance or means-tested subsidies paid to a public official's household
-- needs: public_officials(person_id, post, organ, appointed_at, left_at)
-- needs: household_members(member_id)
-- needs: social_assistance(case_id, programme, recipient_id, period_from, period_to)
-- needs: subsidies(payment_id, programme, recipient_id, amount, paid_at)
-- parameter: means_tested text 产业扶贫补助 -- subsidy programmes that depend on need (entitlements such as the grassland subsidy do not)
-- explains: Social assistance, or a subsidy that depends on need, paid to a member of a public
--   official's household while the official held the post. Joins on resident ID numbers, never
--   on names: a namesake of an official is no finding, nor is assistance that began after the
--   official left. Ask for `public_officials` and `household_members` of the official, then
--   (follow-up) `social_assistance` and `subsidies` of the members.
WITH posts AS (
  SELECT ref, person_id, post, organ, CAST(appointed_at AS DATE) AS a_from, coalesce(CAST(left_at AS DATE), DATE '9999-12-31') AS a_to
  FROM public_officials
),
family AS (
  SELECT DISTINCT p.*, m.member_id, m.ref AS member_ref FROM posts p JOIN household_members m ON m.subject = p.person_id
),
benefits AS (
  SELECT ref, recipient_id, programme || ' ' || case_id AS what, CAST(period_from AS DATE) AS b_from,
         coalesce(CAST(period_to AS DATE), DATE '9999-12-31') AS b_to
  FROM social_assistance
  UNION ALL
  SELECT ref, recipient_id, programme || ' ' || payment_id || ' (' || CAST(amount AS VARCHAR) || ' yuan)', CAST(paid_at AS DATE), CAST(paid_at AS DATE)
  FROM subsidies WHERE list_contains(string_split($means_tested, ','), programme)
)
SELECT
  f.post || ' ' || f.person_id || ' (' || f.organ || ', since ' || CAST(f.a_from AS VARCHAR) || '): household members received '
    || string_agg(DISTINCT b.what || ' → ' || b.recipient_id, '; ') AS finding,
  list_distinct([f.ref] || list(f.member_ref) || list(b.ref)) AS records,
  f.person_id AS official_id, f.post
FROM family f JOIN benefits b ON b.recipient_id = f.member_id AND b.b_from <= f.a_to AND b.b_to >= f.a_from
GROUP BY f.ref, f.person_id, f.post, f.organ, f.a_from
ORDER BY official_id
