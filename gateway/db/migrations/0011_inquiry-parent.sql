ALTER TABLE "inquiries" ADD COLUMN "parent_id" uuid;--> statement-breakpoint
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_parent_id_inquiries_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."inquiries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inquiries_parent_idx" ON "inquiries" USING btree ("parent_id");