import { z } from 'zod';

/** What the unit's static server tells the page (client/console/serve.ts): whom it talks to. */
export const ConsoleConfig = z.object({ gateway: z.string().url(), issuer: z.string().url(), clientId: z.string().min(1), auditOrigin: z.string().min(1) });
export type ConsoleConfig = z.infer<typeof ConsoleConfig>;

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}: the console's server is misconfigured`);
  return ConsoleConfig.parse(await response.json());
}
