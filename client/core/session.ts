import { ApiError, createApiClient, type ApiClient, type FetchLike } from './api-client';

/** A saved login: which gateway, as whom, with which bearer token until when. */
export interface Session {
  gateway: string;
  username: string;
  token: string;
  expiresAt: string;
}

/**
 * Where logins are kept between commands: files for the command line (client/cli/session-files.ts),
 * the browser's storage for the console. A login belongs to one gateway: the same username at
 * two gateways is two sessions, and one is never sent to the other.
 */
export interface SessionStore {
  /** The fresh session of `username` at `gateway`, if one is kept. */
  load(gateway: string, username: string): Promise<Session | undefined>;
  /** `makeCurrent`: later commands without --as act as this user at this gateway (what `login` does; `--as` does not). */
  save(session: Session, options?: { makeCurrent?: boolean }): Promise<void>;
  /** Who the last `login` was, and at which gateway (fresh or not). */
  current(): Promise<{ gateway: string; username: string } | undefined>;
}

/** A session that is still good for at least 30 seconds. */
export function isFresh(session: Session, now = Date.now()): boolean {
  return new Date(session.expiresAt).getTime() > now + 30_000;
}

/** The same gateway however its URL is written: `http://127.0.0.1:8080/` is `http://127.0.0.1:8080`. */
export function gatewayKey(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new ApiError(0, 'invalid_gateway', `the gateway URL ${JSON.stringify(url)} is not a URL: pass --gateway http://host:port`);
  }
}

/** Development mode only: the gateway's local issuer mints a token for a demo user. */
export async function devLogin(gateway: string, username: string, options: { fetch?: FetchLike } = {}): Promise<Session> {
  const { token, expiresAt } = await createApiClient({ baseUrl: gateway, ...options }).devToken({ username });
  return { gateway, username, token, expiresAt };
}

export interface OpenSessionOptions {
  store: SessionStore;
  /** The gateway named on the command line or in QIAO_GATEWAY; it always wins. */
  gateway?: string;
  /** Where to go when none is named and nobody is logged in. */
  defaultGateway: string;
  /** Act as this user; in development mode a missing login is made on the spot. */
  as?: string;
  fetch?: FetchLike;
}

/**
 * The API client for a command: at the named gateway, else the one of the current login, else the
 * default; as `as`, else the current login's user. A session kept for another gateway is never
 * used: `as` logs in anew at this one (development mode), and without it the error says which
 * gateway the current login is for.
 */
export async function openSession(options: OpenSessionOptions): Promise<{ client: ApiClient; session: Session }> {
  const { store, as } = options;
  const current = await store.current();
  const gateway = options.gateway ?? current?.gateway ?? options.defaultGateway;
  const username = as ?? current?.username;
  let session = username ? await store.load(gateway, username) : undefined;
  if (!session && as) {
    session = await devLogin(gateway, as, options.fetch ? { fetch: options.fetch } : {});
    await store.save(session);
  }
  if (!session) {
    const elsewhere = current && gatewayKey(current.gateway) !== gatewayKey(gateway);
    throw new ApiError(
      401,
      'not_logged_in',
      elsewhere
        ? `not logged in at ${gateway}: your login (${current.username}) is for ${current.gateway}; run \`./qiao --gateway ${gateway} login <username>\` or pass --as <username>`
        : 'not logged in: run `./qiao login <username>` or pass --as <username>',
    );
  }
  return { session, client: createApiClient({ baseUrl: gateway, token: session.token, ...(options.fetch ? { fetch: options.fetch } : {}) }) };
}
