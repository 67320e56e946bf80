import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isFresh, type Session, type SessionStore } from '../core/session';

/** Logins as files: `<dir>/sessions/<username>.json`, plus `<dir>/current` naming the default one. */
export function createSessionStore(dir: string): SessionStore {
  const file = (username: string) => join(dir, 'sessions', `${encodeURIComponent(username)}.json`);
  return {
    async load(username) {
      const name = username ?? (await readFile(join(dir, 'current'), 'utf8').catch(() => '')).trim();
      if (!name) return undefined;
      const text = await readFile(file(name), 'utf8').catch(() => undefined);
      if (!text) return undefined;
      const session = JSON.parse(text) as Session;
      return isFresh(session) ? session : undefined;
    },
    async save(session, options) {
      await mkdir(join(dir, 'sessions'), { recursive: true, mode: 0o700 });
      await writeFile(file(session.username), JSON.stringify(session, null, 2), { mode: 0o600 });
      if (options?.makeCurrent) await writeFile(join(dir, 'current'), session.username, { mode: 0o600 });
    },
  };
}
