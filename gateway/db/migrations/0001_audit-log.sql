CREATE TABLE "audit_checkpoints" (
	"size" bigint PRIMARY KEY NOT NULL,
	"root" "bytea" NOT NULL,
	"note" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log_entries" (
	"idx" bigint PRIMARY KEY NOT NULL,
	"entry" text NOT NULL,
	"action" text NOT NULL,
	"inquiry_id" uuid,
	"department" text
);
--> statement-breakpoint
CREATE TABLE "audit_log_hashes" (
	"idx" bigint PRIMARY KEY NOT NULL,
	"hash" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log_tree" (
	"id" smallint PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_log_entries_inquiry_idx" ON "audit_log_entries" USING btree ("inquiry_id");--> statement-breakpoint
CREATE INDEX "audit_log_entries_department_idx" ON "audit_log_entries" USING btree ("department","idx");