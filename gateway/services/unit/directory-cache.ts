import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, DbOrTx } from '../../db/client';
import { describeError } from '../../logger';
import type { Principal } from '../../auth/principal';
import { loadPrincipal } from '../../auth/principal';
import { allUnits } from './unit-tree';

type UnitLevel = 'region' | 'league' | 'banner';
export type UnitRef = { id: string; level: UnitLevel };

/**
 * The directory (units and users) as every request needs it, without asking the database each
 * time: the unit tree, loaded whole (about 120 units) and walked in memory, and the principal of
 * each verified bearer token, kept until the token expires in a bounded LRU. Both are dropped when
 * the directory changes: at most once per `checkIntervalMs` a request asks for a digest of the
 * units and users rows (one query, in the background), and a different digest reloads the tree
 * and forgets every principal — so a changed role or unit takes effect within about that
 * interval on every replica.
 */
export interface DirectoryCache {
  /** The unit and its ancestors with their levels, nearest first; empty for an unknown unit. Pass the open transaction, if any. */
  ancestry(unitId: string, executor?: DbOrTx): Promise<UnitRef[]>;
  /** Every unit with its parent. */
  units(): Promise<readonly { id: string; level: UnitLevel; parentId: string | null }[]>;
  /** The principal cached for this exact token, if it has not expired. */
  cachedPrincipal(token: string, now: Date): Promise<Principal | undefined>;
  /** The directory user `username`, remembered for `token` until `expiresAt`; null (not remembered) if there is none. */
  principalFor(token: string, username: string, expiresAt: Date): Promise<Principal | null>;
  /** Settles when no background check is running: for tests. */
  settled(): Promise<void>;
}

/** Deeper than the tree can be: a parent cycle (a data error) ends instead of looping. */
const MAX_DEPTH = 8;

export function createDirectoryCache(options: { db: Db; checkIntervalMs: number; maxPrincipals?: number; now?: () => number; logger?: Logger }): DirectoryCache {
  const { db } = options;
  const now = options.now ?? (() => Date.now());
  const maxPrincipals = options.maxPrincipals ?? 10_000;
  let version: string | undefined;
  let checkedAt = -Infinity;
  let checking: Promise<unknown> | undefined;
  let tree: Map<string, { id: string; level: UnitLevel; parentId: string | null }> | undefined;
  let treeList: { id: string; level: UnitLevel; parentId: string | null }[] = [];
  const paths = new Map<string, UnitRef[]>();
  const principals = new Map<string, { principal: Principal; expiresAt: number }>();

  async function check(executor: DbOrTx): Promise<void> {
    const { rows } = (await executor.execute(sql`
      select
        (select md5(coalesce(string_agg(id || '/' || coalesce(parent_id, '') || '/' || level || '/' || name || '/' || name_zh, ',' order by id), '')) from units)
        || (select md5(coalesce(string_agg(id::text || '/' || username || '/' || display_name || '/' || unit_id || '/' || array_to_string(roles, '+') || '/' || coalesce(department, ''), ',' order by id), '')) from users)
        as version`)) as unknown as { rows: { version: string }[] };
    const seen = rows[0]!.version;
    if (seen !== version || !tree) {
      treeList = await allUnits(executor);
      tree = new Map(treeList.map((u) => [u.id, u]));
      paths.clear();
      principals.clear();
      version = seen;
    }
    checkedAt = now();
  }

  /**
   * The first call loads the tree on the caller's own connection (`executor`: inside a
   * transaction, that transaction — PGlite has one connection, and a query outside an open
   * transaction would wait for it). Later, a check that is due runs in the background and the
   * call goes on with what is cached: a request never waits for it, and never deadlocks on it.
   */
  async function fresh(executor: DbOrTx = db): Promise<void> {
    if (!tree) return check(executor);
    if (checking || now() - checkedAt < options.checkIntervalMs) return;
    checking = check(db)
      .catch((err: unknown) => options.logger?.warn({ failure: describeError(err) }, 'could not check the directory for changes; keeping the cached one'))
      .finally(() => (checking = undefined));
  }

  function pathOf(unitId: string): UnitRef[] {
    const known = paths.get(unitId);
    if (known) return known;
    const path: UnitRef[] = [];
    for (let unit = tree!.get(unitId); unit && path.length <= MAX_DEPTH; unit = unit.parentId ? tree!.get(unit.parentId) : undefined) {
      path.push({ id: unit.id, level: unit.level });
    }
    paths.set(unitId, path);
    return path;
  }

  return {
    async ancestry(unitId, executor) {
      await fresh(executor);
      return pathOf(unitId);
    },
    async units() {
      await fresh();
      return treeList;
    },
    async cachedPrincipal(token, at) {
      await fresh();
      const hit = principals.get(token);
      if (!hit) return undefined;
      principals.delete(token);
      if (hit.expiresAt <= at.getTime()) return undefined;
      principals.set(token, hit); // most recently used last
      return hit.principal;
    },
    async principalFor(token, username, expiresAt) {
      await fresh();
      const principal = await loadPrincipal(db, username, (unitId) => Promise.resolve(pathOf(unitId)));
      if (!principal) return null;
      principals.set(token, { principal, expiresAt: expiresAt.getTime() });
      if (principals.size > maxPrincipals) principals.delete(principals.keys().next().value!);
      return principal;
    },
    async settled() {
      await checking;
    },
  };
}
