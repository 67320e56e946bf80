ALTER TABLE "units" ADD COLUMN "encryption_key_cert" text;--> statement-breakpoint
ALTER TABLE "results" ADD COLUMN "receipt" text;