-- A day's fair-use usage of an investigator and their unit (gateway/services/inquiry/fair-use.ts),
-- counted after taking both advisory locks — the investigator's, then the unit's, the order every
-- submission takes them in, with the keys the gateway used before this function — so that a
-- submission's statement can count and insert in one go, committed on its own: the locks are then
-- held from this call to that statement's commit only, never across a round trip to the gateway.
-- VOLATILE, so its count takes a fresh snapshot once the locks are held (PostgreSQL's rule for
-- volatile functions in READ COMMITTED): it sees every submission committed before it got them,
-- and two submissions of one unit are counted one after the other and cannot both slip under.
-- `taken`: whether the id a signed statement wants is already an inquiry's.
CREATE FUNCTION qiao_fair_use_usage(p_user text, p_unit text, p_since timestamptz, p_wanted uuid)
RETURNS TABLE (user_inquiries bigint, user_subjects bigint, unit_inquiries bigint, unit_subjects bigint, taken boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('qiao.fair-use.user:' || p_user));
  PERFORM pg_advisory_xact_lock(hashtext('qiao.fair-use.unit:' || p_unit));
  RETURN QUERY
    SELECT count(*) FILTER (WHERE i.created_by = p_user::uuid),
           coalesce(sum(jsonb_array_length(i.subjects)) FILTER (WHERE i.created_by = p_user::uuid), 0)::bigint,
           count(*) FILTER (WHERE i.unit_id = p_unit),
           coalesce(sum(jsonb_array_length(i.subjects)) FILTER (WHERE i.unit_id = p_unit), 0)::bigint,
           p_wanted IS NOT NULL AND EXISTS (SELECT 1 FROM inquiries w WHERE w.id = p_wanted)
    FROM inquiries i
    WHERE (i.created_by = p_user::uuid OR i.unit_id = p_unit) AND i.created_at >= p_since;
END;
$$;
