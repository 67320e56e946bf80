-- Wakes the fan-out of every replica (LISTEN qiao_fanout_due) when a department part becomes
-- pending: created by an approval, scheduled for a retry, or handed back by a replica that stops.
-- Notifications of one transaction with the same payload arrive once, after its commit; polling
-- stays as the fallback for a notification missed while a listener reconnects.
CREATE FUNCTION qiao_notify_fanout_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('qiao_fanout_due', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER inquiry_parts_notify_due
  AFTER INSERT OR UPDATE OF status ON inquiry_parts
  FOR EACH ROW WHEN (NEW.status = 'pending')
  EXECUTE FUNCTION qiao_notify_fanout_due();
