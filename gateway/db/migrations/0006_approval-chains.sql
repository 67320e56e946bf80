ALTER TABLE "inquiries" ADD COLUMN "submitted_from_unit_id" text;--> statement-breakpoint
ALTER TABLE "inquiries" ADD COLUMN "sensitivity" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "inquiries" ADD COLUMN "approval_chain" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "inquiries" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "inquiry_decisions" ADD COLUMN "chain_step" integer;--> statement-breakpoint
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_submitted_from_unit_id_units_id_fk" FOREIGN KEY ("submitted_from_unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inquiries_creator_created_idx" ON "inquiries" USING btree ("created_by","created_at");--> statement-breakpoint
ALTER TABLE "inquiry_decisions" ADD CONSTRAINT "inquiry_decisions_inquiry_user_uq" UNIQUE("inquiry_id","user_id");