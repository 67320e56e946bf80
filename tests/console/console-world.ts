import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { listenConsoleServer, type ConsoleServer } from '../../client/console/serve';
import { CONSOLE_CLIENT_ID, startDemoProvider } from '../../demo/oidc-provider';
import { buildConsole, type ConsoleBuild } from '../../scripts/build-console';
import { bootFederation, type Federation } from '../harness/federation';

/**
 * The demo federation with the web console as `npm start` runs it: the console built into a
 * temporary folder and served by the unit's static server, the demo OpenID Connect provider
 * signing with the PKI's dev issuer key, and a gateway that trusts the provider's JWKS and
 * allows CORS for the console's origin only.
 */
export interface ConsoleWorld {
  fed: Federation;
  consoleUrl: string;
  issuer: string;
  consoleBuild: ConsoleBuild;
  close(): Promise<void>;
}

export async function bootConsoleWorld(options: { env?: Record<string, string>; sources?: Parameters<typeof bootFederation>[0] extends infer O ? O extends { sources?: infer S } ? S : never : never } = {}): Promise<ConsoleWorld> {
  const dist = await mkdtemp(join(tmpdir(), 'qiao-console-'));
  const consoleBuild = await buildConsole(resolve(import.meta.dirname, '../..'), dist);
  const consoleServer: ConsoleServer = await listenConsoleServer({ dist, clientId: CONSOLE_CLIENT_ID });
  let provider: Awaited<ReturnType<typeof startDemoProvider>> | undefined;
  const fed = await bootFederation({
    ...options,
    beforeGateway: async (pki) => {
      provider = await startDemoProvider({ signingJwk: pki.issuerKey.privateJwk as Record<string, unknown>, consoleOrigins: [consoleServer.url], audience: 'qiao-gateway', port: 0 });
      return { QIAO_TOKEN_ISSUER: provider.url, QIAO_TOKEN_JWKS_URL: `${provider.url}/jwks`, QIAO_CONSOLE_ORIGINS: consoleServer.url };
    },
  });
  consoleServer.configure({ gateway: fed.gateway.url, issuer: provider!.url, directory: join(fed.pki.dir, 'directory'), units: join(fed.pki.dir, 'units'), checkpointKey: join(fed.pki.dir, 'keys/checkpoint-verifier.jwk') });
  return {
    fed,
    consoleUrl: consoleServer.url,
    issuer: provider!.url,
    consoleBuild,
    async close() {
      await consoleServer.close();
      await provider?.close();
      await fed.close();
      await rm(dist, { recursive: true, force: true });
    },
  };
}

/** Every request a page sends, as the browser sent it (URL, method, headers, body). */
export interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

export function recordRequests(context: BrowserContext, sent: SentRequest[]): void {
  context.on('request', (r: Request) => {
    sent.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postData() });
  });
}

/** Logs in as a demo user the way a person does: the console's button, the provider's form, back. */
export async function logIn(world: ConsoleWorld, context: BrowserContext, username: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${world.consoleUrl}/`);
  await page.getByRole('button', { name: '统一身份认证登录' }).click();
  await page.waitForURL(`${world.issuer}/**`);
  await page.getByLabel('用户 / User').selectOption(username);
  await page.getByRole('button', { name: '登录 / Log in' }).click();
  await page.waitForURL(`${world.consoleUrl}/**`);
  await page.getByRole('button', { name: '退出登录' }).waitFor();
  return page;
}
