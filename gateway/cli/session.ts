import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApiClient } from './http';

/** A saved login: `.qiao/sessions/<username>.json`, plus `.qiao/current` naming the default one. */
export interface Session {
  gateway: string;
  username: string;
  token: string;
  expiresAt: string;
}

export interface SessionStore {
  load(username?: string): Promise<Session | undefined>;
  /** `makeCurrent`: later commands without --as act as this user (what `login` does; `--as` does not). */
  save(session: Session, options?: { makeCurrent?: boolean }): Promise<void>;
}

export function createSessionStore(dir: string): SessionStore {
  const file = (username: string) => join(dir, 'sessions', `${encodeURIComponent(username)}.json`);
  return {
    async load(username) {
      const name = username ?? (await readFile(join(dir, 'current'), 'utf8').catch(() => '')).trim();
      if (!name) return undefined;
      const text = await readFile(file(name), 'utf8').catch(() => undefined);
      if (!text) return undefined;
      const session = JSON.parse(text) as Session;
      return new Date(session.expiresAt).getTime() > Date.now() + 30_000 ? session : undefined;
    },
    async save(session, options) {
      await mkdir(join(dir, 'sessions'), { recursive: true, mode: 0o700 });
      await writeFile(file(session.username), JSON.stringify(session, null, 2), { mode: 0o600 });
      if (options?.makeCurrent) await writeFile(join(dir, 'current'), session.username, { mode: 0o600 });
    },
  };
}

/** Development mode only: the gateway's local issuer mints a token for a demo user. */
export async function devLogin(gateway: string, username: string): Promise<Session> {
  const { token, expiresAt } = await createApiClient(gateway).post<{ token: string; expiresAt: string }>('/dev/token', { username });
  return { gateway, username, token, expiresAt };
}
