-- qiao_audit_append inside a statement that writes something else (gateway/services/audit/log-store.ts
-- auditAppendCall): the same append, but a frontier that does not fit the size raises SQLSTATE
-- QA001 instead of answering NULL, so the whole statement — the writes the entries record — rolls
-- back with it, and the caller rebuilds the frontier and runs it again. An audited write is then
-- one statement, committed on its own: no BEGIN and COMMIT round trips around it.
CREATE FUNCTION qiao_audit_append_strict(p_leaves text[], p_entries text[], p_actions text[], p_inquiry_ids uuid[], p_departments text[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_first bigint := qiao_audit_append(p_leaves, p_entries, p_actions, p_inquiry_ids, p_departments);
BEGIN
  IF v_first IS NULL THEN
    RAISE EXCEPTION 'the audit log''s kept frontier does not fit its size: rebuild it from the stored hashes'
      USING ERRCODE = 'QA001';
  END IF;
  RETURN v_first;
END;
$$;
