CREATE TABLE "warrants" (
	"warrant_id" text PRIMARY KEY NOT NULL,
	"part_id" uuid NOT NULL,
	"inquiry_id" uuid NOT NULL,
	"department" text NOT NULL,
	"attempt" integer NOT NULL,
	"jws" text NOT NULL,
	"sha256" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "warrants_part_attempt_uq" UNIQUE("part_id","attempt")
);
--> statement-breakpoint
ALTER TABLE "warrants" ADD CONSTRAINT "warrants_part_id_inquiry_parts_id_fk" FOREIGN KEY ("part_id") REFERENCES "public"."inquiry_parts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "warrants" ADD CONSTRAINT "warrants_inquiry_id_inquiries_id_fk" FOREIGN KEY ("inquiry_id") REFERENCES "public"."inquiries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "warrants_inquiry_idx" ON "warrants" USING btree ("inquiry_id");