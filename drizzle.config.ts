import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a new migration after a change under gateway/db/schema/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './gateway/db/schema/index.ts',
  out: './gateway/db/migrations',
});
