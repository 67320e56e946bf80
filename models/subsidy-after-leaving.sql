-- qiao-model: v1
-- name: subsidy-after-leaving
-- title: Subsidies paid after the recipient left the household
-- needs: subsidies(payment_id, programme, year, recipient_id, household_id, amount, paid_at)
-- needs: household(household_id)
-- needs: household_members(member_id, joined_at, moved_from)
-- explains: Finance pays a subsidy as a member of one household while public security has the
--   recipient registered in another household since before the payment: the roll was not
--   updated, or the move was made to claim twice. A move after the last payment is no finding.
--   Ask for `subsidies`, `household` and `household_members` of the recipients.
WITH registered AS (
  SELECT h.subject, h.household_id, h.ref, CAST(m.joined_at AS DATE) AS joined, m.ref AS member_ref
  FROM household h JOIN household_members m ON m.subject = h.subject AND m.member_id = h.subject
)
SELECT
  s.recipient_id || ' was paid ' || CAST(count(*) AS VARCHAR) || ' subsidies (' || CAST(sum(CAST(s.amount AS DOUBLE)) AS VARCHAR)
    || ' yuan, ' || string_agg(DISTINCT CAST(s.year AS VARCHAR), ', ' ORDER BY CAST(s.year AS VARCHAR)) || ') as a member of household '
    || s.household_id || ' after joining household ' || r.household_id || ' on ' || CAST(r.joined AS VARCHAR) AS finding,
  list_distinct(list(s.ref) || [r.ref, r.member_ref]) AS records,
  s.recipient_id, s.household_id AS paid_as_member_of, r.household_id AS registered_in, r.joined
FROM subsidies s JOIN registered r ON r.subject = s.recipient_id
WHERE s.household_id <> r.household_id AND CAST(s.paid_at AS DATE) >= r.joined
GROUP BY s.recipient_id, s.household_id, r.household_id, r.joined, r.ref, r.member_ref
ORDER BY s.recipient_id
