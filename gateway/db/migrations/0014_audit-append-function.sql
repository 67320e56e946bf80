-- Appends entries to the audit log in one statement (gateway/services/audit/log-store.ts): locks
-- the tree row, extends its frontier with the entries' leaf hashes (RFC 9162, SHA-256 of
-- 0x01 ‖ left ‖ right for each node completed; proto/merkle.ts appendToFrontier), inserts the
-- entries and every stored hash (layout of proto/merkle.ts storedHashIndex) and moves the tree
-- on. Returns the index of the first entry, or NULL — having changed nothing but holding the
-- row's lock — when the kept frontier does not fit the size, for the caller to rebuild it from
-- the stored hashes. One round trip under the lock instead of two: audited transactions are
-- serialised from their append to their commit.
CREATE FUNCTION qiao_audit_append(p_leaves text[], p_entries text[], p_actions text[], p_inquiry_ids uuid[], p_departments text[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_first bigint;
  v_packed bytea;
  v_count int := coalesce(array_length(p_leaves, 1), 0);
  v_stack bytea[] := '{}';
  v_levels int[] := '{}';
  v_stored bytea[] := '{}';
  v_depth int := 0;
  v_node bytea;
  v_level int;
  v_first_hash bigint := 0;
  v_n bigint;
BEGIN
  IF v_count = 0 OR v_count <> array_length(p_entries, 1) THEN
    RAISE EXCEPTION 'qiao_audit_append: % leaf hashes for % entries', v_count, coalesce(array_length(p_entries, 1), 0);
  END IF;
  SELECT size, frontier INTO v_first, v_packed FROM audit_log_tree WHERE id = 1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the audit_log_tree row is missing: the audit log was not migrated';
  END IF;
  -- The frontier: one hash per set bit of the size, the largest complete subtree first.
  FOR v_level IN REVERSE 62..0 LOOP
    IF (v_first >> v_level) & 1 = 1 THEN
      v_depth := v_depth + 1;
      v_levels[v_depth] := v_level;
      v_stack[v_depth] := substring(v_packed FROM (v_depth - 1) * 32 + 1 FOR 32);
    END IF;
  END LOOP;
  IF length(v_packed) <> v_depth * 32 THEN
    RETURN NULL;
  END IF;
  FOR i IN 1..v_count LOOP
    v_node := decode(p_leaves[i], 'hex');
    v_level := 0;
    v_stored := array_append(v_stored, v_node);
    WHILE v_depth > 0 AND v_levels[v_depth] = v_level LOOP
      v_node := sha256('\x01'::bytea || v_stack[v_depth] || v_node);
      v_level := v_level + 1;
      v_depth := v_depth - 1;
      v_stored := array_append(v_stored, v_node);
    END LOOP;
    v_depth := v_depth + 1;
    v_stack[v_depth] := v_node;
    v_levels[v_depth] := v_level;
  END LOOP;
  -- storedHashIndex(0, first) = first + ⌊first/2⌋ + ⌊first/4⌋ + …
  v_n := v_first;
  WHILE v_n > 0 LOOP
    v_first_hash := v_first_hash + v_n;
    v_n := v_n / 2;
  END LOOP;
  INSERT INTO audit_log_entries (idx, entry, action, inquiry_id, department)
    SELECT v_first + t.n - 1, t.entry, t.action, t.inquiry_id, t.department
    FROM unnest(p_entries, p_actions, p_inquiry_ids, p_departments) WITH ORDINALITY AS t(entry, action, inquiry_id, department, n);
  INSERT INTO audit_log_hashes (idx, hash)
    SELECT v_first_hash + t.n - 1, t.hash FROM unnest(v_stored) WITH ORDINALITY AS t(hash, n);
  UPDATE audit_log_tree
    SET size = v_first + v_count,
        frontier = (SELECT coalesce(string_agg(t.hash, ''::bytea ORDER BY t.n), ''::bytea) FROM unnest(v_stack[1:v_depth]) WITH ORDINALITY AS t(hash, n))
    WHERE id = 1;
  RETURN v_first;
END;
$$;
