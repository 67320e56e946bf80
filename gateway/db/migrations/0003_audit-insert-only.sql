-- The audit log is insert-only. Triggers refuse UPDATE, DELETE and TRUNCATE of its tables for
-- every role (they work on PGlite too); where the gateway runs as its own role `qiao_gateway`
-- (production: migrations as the owner, the gateway as qiao_gateway), the privileges are revoked
-- as well, so the gateway cannot even disable the triggers. An owner can still disable them:
-- that is what the verifier (`qiao audit verify`) and the departments' reconciliation catch.
CREATE OR REPLACE FUNCTION qiao_audit_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is insert-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_log_entries_insert_only BEFORE UPDATE OR DELETE ON audit_log_entries FOR EACH ROW EXECUTE FUNCTION qiao_audit_insert_only();--> statement-breakpoint
CREATE TRIGGER audit_log_entries_no_truncate BEFORE TRUNCATE ON audit_log_entries FOR EACH STATEMENT EXECUTE FUNCTION qiao_audit_insert_only();--> statement-breakpoint
CREATE TRIGGER audit_log_hashes_insert_only BEFORE UPDATE OR DELETE ON audit_log_hashes FOR EACH ROW EXECUTE FUNCTION qiao_audit_insert_only();--> statement-breakpoint
CREATE TRIGGER audit_log_hashes_no_truncate BEFORE TRUNCATE ON audit_log_hashes FOR EACH STATEMENT EXECUTE FUNCTION qiao_audit_insert_only();--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_insert_only BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION qiao_audit_insert_only();--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION qiao_audit_insert_only();--> statement-breakpoint
-- The tree row may only grow (it is updated by every append, under its row lock).
CREATE OR REPLACE FUNCTION qiao_audit_tree_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.size < OLD.size THEN
    RAISE EXCEPTION 'the audit log tree size only grows: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_log_tree_grows BEFORE UPDATE OR DELETE ON audit_log_tree FOR EACH ROW EXECUTE FUNCTION qiao_audit_tree_grows();--> statement-breakpoint
CREATE TRIGGER audit_log_tree_no_truncate BEFORE TRUNCATE ON audit_log_tree FOR EACH STATEMENT EXECUTE FUNCTION qiao_audit_insert_only();--> statement-breakpoint
INSERT INTO audit_log_tree (id, size) VALUES (1, 0) ON CONFLICT DO NOTHING;--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qiao_gateway') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log_entries, audit_log_hashes, audit_checkpoints FROM qiao_gateway;
    REVOKE DELETE, TRUNCATE ON audit_log_tree FROM qiao_gateway;
  END IF;
END;
$$;
