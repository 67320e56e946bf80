import * as oauth from 'oauth4webapi';
import type { ConsoleConfig } from './config';

/**
 * OpenID Connect authorization code flow with PKCE (S256), a public client: no secret in the
 * page. The access token (a JWT for the gateway's audience) lives in this tab's sessionStorage
 * and goes only to the gateway; the code verifier and state only until the callback.
 */
const PENDING = 'qiao.login.pending';
const SESSION = 'qiao.session';
/** The gateway, as a resource indicator (RFC 8707): the issuer makes the access token for it. */
export const GATEWAY_RESOURCE = 'urn:qiao:gateway';

export interface Session {
  accessToken: string;
  expiresAt: number;
}

function loopback(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

/** Plain http is allowed only to an issuer on this machine (the demo). */
function requestOptions(config: ConsoleConfig) {
  return loopback(config.issuer) ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(config: ConsoleConfig): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(config.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, requestOptions(config)));
}

const redirectUri = () => `${location.origin}/callback`;

export async function startLogin(config: ConsoleConfig): Promise<void> {
  const as = await discover(config);
  if (!as.authorization_endpoint) throw new Error(`the issuer ${config.issuer} publishes no authorization endpoint`);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid',
    resource: GATEWAY_RESOURCE,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** On /callback: checks state, exchanges the code with the verifier, keeps the access token. */
export async function finishLogin(config: ConsoleConfig, current: URL): Promise<Session> {
  const pending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (!pending) throw new Error('no login was started in this tab: start again');
  const { verifier, state } = JSON.parse(pending) as { verifier: string; state: string };
  const as = await discover(config);
  const client: oauth.Client = { client_id: config.clientId };
  const params = oauth.validateAuthResponse(as, client, current, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), verifier, {
    ...requestOptions(config),
    additionalParameters: { resource: GATEWAY_RESOURCE },
  });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response);
  const session: Session = { accessToken: result.access_token, expiresAt: Date.now() + (result.expires_in ?? 600) * 1000 };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  return session;
}

export function currentSession(): Session | null {
  const text = sessionStorage.getItem(SESSION);
  if (!text) return null;
  const session = JSON.parse(text) as Session;
  return session.expiresAt > Date.now() + 10_000 ? session : null;
}

export function logout(): void {
  sessionStorage.removeItem(SESSION);
}
