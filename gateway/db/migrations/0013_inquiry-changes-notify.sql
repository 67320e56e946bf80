-- Tells the event streams of every replica (LISTEN qiao_inquiry_changed, services/inquiry/watch.ts)
-- which inquiry changed, with its id as the payload: the inquiry itself (submitted, decided,
-- withdrawn, expired), a decision on it, or one of its parts' visible state (created, claimed,
-- retried, answered, failed; a lease renewal is not a change). Notifications of one transaction
-- with the same payload arrive once, after its commit. The streams poll slowly as the fallback
-- for a notification missed while their listener reconnects.
CREATE FUNCTION qiao_notify_inquiry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'inquiries' THEN
    PERFORM pg_notify('qiao_inquiry_changed', NEW.id::text);
  ELSE
    PERFORM pg_notify('qiao_inquiry_changed', NEW.inquiry_id::text);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER inquiries_notify_changed
  AFTER INSERT OR UPDATE ON inquiries
  FOR EACH ROW EXECUTE FUNCTION qiao_notify_inquiry_changed();
--> statement-breakpoint
CREATE TRIGGER inquiry_decisions_notify_changed
  AFTER INSERT ON inquiry_decisions
  FOR EACH ROW EXECUTE FUNCTION qiao_notify_inquiry_changed();
--> statement-breakpoint
CREATE TRIGGER inquiry_parts_notify_inserted
  AFTER INSERT ON inquiry_parts
  FOR EACH ROW EXECUTE FUNCTION qiao_notify_inquiry_changed();
--> statement-breakpoint
CREATE TRIGGER inquiry_parts_notify_changed
  AFTER UPDATE ON inquiry_parts
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status
    OR OLD.attempts IS DISTINCT FROM NEW.attempts
    OR OLD.failure_reason IS DISTINCT FROM NEW.failure_reason
    OR OLD.completed_at IS DISTINCT FROM NEW.completed_at)
  EXECUTE FUNCTION qiao_notify_inquiry_changed();
