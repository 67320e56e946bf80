/**
 * What the unit's static server tells the page (client/console/serve.ts): whom it talks to.
 * Checked by hand, not with zod: the login page loads before, and without, the API's schemas.
 */
export interface ConsoleConfig {
  gateway: string;
  issuer: string;
  clientId: string;
  auditOrigin: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}: the console's server is misconfigured`);
  const config = (await response.json()) as Partial<Record<keyof ConsoleConfig, unknown>>;
  for (const key of ['gateway', 'issuer', 'clientId', 'auditOrigin'] as const) {
    if (typeof config[key] !== 'string' || !config[key]) throw new Error(`/config.json has no ${key}: the console's server is misconfigured`);
  }
  for (const key of ['gateway', 'issuer'] as const) new URL(config[key] as string);
  return config as ConsoleConfig;
}
