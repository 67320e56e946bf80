/**
 * The demo's OpenID Connect provider (oidc-provider, a certified implementation): the web console
 * logs in here with the authorization code flow and PKCE, as it would at a unit's real identity
 * provider, so the tested path is the production path. Its users are the demo users; there are
 * no passwords in the demo, the login page lists who may log in.
 *
 *   tsx demo/oidc-provider.ts --issuer http://127.0.0.1:8090 --signing-key .dev/keys/dev-issuer.jwk \
 *     --console http://127.0.0.1:8081 [--audience qiao-gateway]
 *
 * Access tokens for the gateway (resource `urn:qiao:gateway`) are JWTs with `sub` = username and
 * `aud` = the gateway's audience, signed with `--signing-key` (EdDSA) and published at
 * `<issuer>/jwks`, the JWKS URL the gateway is configured with (QIAO_TOKEN_JWKS_URL). The demo
 * passes the development token issuer's key, so the command line's development tokens and the
 * console's tokens verify against the same JWKS.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import Provider, { type Configuration } from 'oidc-provider';
import { DEMO_USERS } from './users';

export const GATEWAY_RESOURCE = 'urn:qiao:gateway';
export const CONSOLE_CLIENT_ID = 'qiao-console';

export interface DemoProviderOptions {
  /** Default: `http://<host>:<port>` as it listens (port 0 = any free one). */
  issuer?: string;
  signingJwk: Record<string, unknown>;
  consoleOrigins: string[];
  audience: string;
  port: number;
  host?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, problem?: string): string {
  const options = DEMO_USERS.map((u) => `<option value="${escapeHtml(u.username)}">${escapeHtml(u.username)} — ${escapeHtml(u.displayName)}</option>`).join('');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>统一身份认证（演示）· Demo sign-on</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:560px;margin:10vh auto">
<main><h1>统一身份认证（演示）</h1><p>Demo sign-on: choose a demo user. 演示环境无密码。</p>
${problem ? `<p role="alert" style="color:#a3192b">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="username">用户 / User</label><br>
<select id="username" name="username" style="font:inherit;padding:6px;margin:8px 0">${options}</select><br>
<button type="submit" style="font:inherit;padding:6px 16px">登录 / Log in</button>
</form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 4096) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

export async function startDemoProvider(options: DemoProviderOptions): Promise<{ url: string; close(): Promise<void> }> {
  const { d, ...rest } = options.signingJwk;
  if (!d) throw new Error('the signing key must be a private JWK');
  const signingKey = { ...rest, d, alg: 'EdDSA', use: 'sig' };
  const configuration: Configuration = {
    clients: [
      {
        client_id: CONSOLE_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: options.consoleOrigins.map((o) => `${o}/callback`),
        post_logout_redirect_uris: options.consoleOrigins.map((o) => `${o}/`),
        id_token_signed_response_alg: 'EdDSA',
      },
    ],
    jwks: { keys: [signingKey as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    scopes: ['openid'],
    claims: { openid: ['sub'] },
    enabledJWA: { idTokenSigningAlgValues: ['EdDSA'] },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => GATEWAY_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== GATEWAY_RESOURCE) throw new Error(`unknown resource ${resource}`);
          return { scope: 'api', audience: options.audience, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'EdDSA' } } };
        },
      },
    },
    // The console's page calls the token endpoint: only from the console origins it redirects to.
    clientBasedCORS: (_ctx, origin) => options.consoleOrigins.includes(origin),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party client: the demo users consent by logging in.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid');
      grant.addResourceScope(GATEWAY_RESOURCE, 'api');
      await grant.save();
      return grant;
    },
    findAccount: (_ctx, id) => {
      const user = DEMO_USERS.find((u) => u.username === id);
      return user ? { accountId: user.username, claims: () => ({ sub: user.username }) } : undefined;
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sign-on error</title></head><body><main><h1>登录出错 / Sign-on error</h1><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p></main></body></html>`;
    },
  };
  let provider: Provider | null = null;
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, action?: string) => {
    if (!provider) throw new Error('the provider is starting');
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'POST' && action === 'login') {
      const username = (await readForm(req)).get('username') ?? '';
      if (!DEMO_USERS.some((u) => u.username === username)) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid, `unknown user ${username}`));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
      return;
    }
    // form-action covers the redirects after the post too: back to the console's /callback.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${options.consoleOrigins.join(' ')}`, 'cache-control': 'no-store' }).end(loginPage(uid));
  };

  const server = createServer((req, res) => {
    const m = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!m) {
      if (callback) callback(req, res);
      else res.writeHead(503, { 'retry-after': '1' }).end();
      return;
    }
    interaction(req, res, m[1]!, m[2]).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`sign-on error: ${err.message}; start the login again from the console\n`);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host ?? '127.0.0.1', () => ok());
  });
  const { address, port } = server.address() as AddressInfo;
  const issuer = options.issuer ?? `http://${address}:${port}`;
  provider = new Provider(issuer, configuration);
  callback = provider.callback();
  return { url: issuer, close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      issuer: { type: 'string', default: 'http://127.0.0.1:8090' },
      'signing-key': { type: 'string' },
      console: { type: 'string', multiple: true, default: [] },
      audience: { type: 'string', default: 'qiao-gateway' },
    },
  });
  if (!values['signing-key'] || values.console!.length === 0) {
    console.error('usage: tsx demo/oidc-provider.ts --issuer <url> --signing-key <private jwk file> --console <origin> [--audience qiao-gateway]');
    process.exit(2);
  }
  const issuer = new URL(values.issuer!);
  startDemoProvider({
    issuer: issuer.origin,
    signingJwk: JSON.parse(readFileSync(values['signing-key'], 'utf8')) as Record<string, unknown>,
    consoleOrigins: values.console!,
    audience: values.audience!,
    port: Number(issuer.port || 80),
    host: issuer.hostname,
  }).then(
    ({ url }) => console.log(`OpenID Connect provider listening on ${url}`),
    (err: Error) => {
      console.error(`oidc-provider: ${err.message}`);
      process.exit(1);
    },
  );
}
