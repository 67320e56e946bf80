import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gatewayKey, isFresh, type Session, type SessionStore } from '../core/session';

/**
 * Logins as files: `<dir>/sessions/<gateway>/<username>.json` (the gateway's origin, encoded), plus
 * `<dir>/current` naming the default gateway and user. Logins of older versions (one file per
 * username, whatever the gateway) are not read: they do not say for sure which gateway they are for.
 */
export function createSessionStore(dir: string): SessionStore {
  const file = (gateway: string, username: string) => join(dir, 'sessions', encodeURIComponent(gatewayKey(gateway)), `${encodeURIComponent(username)}.json`);
  return {
    async load(gateway, username) {
      const text = await readFile(file(gateway, username), 'utf8').catch(() => undefined);
      if (!text) return undefined;
      const session = JSON.parse(text) as Session;
      // The file's place says which gateway it is for; its content must agree.
      if (gatewayKey(session.gateway) !== gatewayKey(gateway) || !isFresh(session)) return undefined;
      return session;
    },
    async save(session, options) {
      await mkdir(join(dir, 'sessions', encodeURIComponent(gatewayKey(session.gateway))), { recursive: true, mode: 0o700 });
      await writeFile(file(session.gateway, session.username), JSON.stringify(session, null, 2), { mode: 0o600 });
      if (options?.makeCurrent) {
        await writeFile(join(dir, 'current'), JSON.stringify({ gateway: session.gateway, username: session.username }), { mode: 0o600 });
      }
    },
    async current() {
      const text = await readFile(join(dir, 'current'), 'utf8').catch(() => '');
      try {
        const { gateway, username } = JSON.parse(text) as { gateway?: unknown; username?: unknown };
        return typeof gateway === 'string' && typeof username === 'string' ? { gateway, username } : undefined;
      } catch {
        return undefined; // none yet, or an older version's plain username: log in again
      }
    },
  };
}
