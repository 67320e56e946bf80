import { createApiClient, type FetchLike } from './api-client';

/** A saved login: which gateway, as whom, with which bearer token until when. */
export interface Session {
  gateway: string;
  username: string;
  token: string;
  expiresAt: string;
}

/**
 * Where logins are kept between commands: files for the command line (client/cli/session-files.ts),
 * the browser's storage for the console.
 */
export interface SessionStore {
  load(username?: string): Promise<Session | undefined>;
  /** `makeCurrent`: later commands without --as act as this user (what `login` does; `--as` does not). */
  save(session: Session, options?: { makeCurrent?: boolean }): Promise<void>;
}

/** A session that is still good for at least 30 seconds. */
export function isFresh(session: Session, now = Date.now()): boolean {
  return new Date(session.expiresAt).getTime() > now + 30_000;
}

/** Development mode only: the gateway's local issuer mints a token for a demo user. */
export async function devLogin(gateway: string, username: string, options: { fetch?: FetchLike } = {}): Promise<Session> {
  const { token, expiresAt } = await createApiClient({ baseUrl: gateway, ...options }).devToken({ username });
  return { gateway, username, token, expiresAt };
}
