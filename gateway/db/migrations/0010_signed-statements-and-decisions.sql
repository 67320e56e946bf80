ALTER TABLE "inquiries" ADD COLUMN "statement" jsonb;--> statement-breakpoint
ALTER TABLE "inquiry_decisions" ADD COLUMN "signature" text;--> statement-breakpoint
ALTER TABLE "inquiry_decisions" ADD COLUMN "certificate" text;--> statement-breakpoint
ALTER TABLE "inquiry_decisions" ADD COLUMN "signer_kid" text;