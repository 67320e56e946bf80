import { sql } from 'drizzle-orm';
import type { ReadyAnswer } from '../../../proto/api';
import type { Db } from '../../db/client';
import type { DepartmentHealth } from '../../departments/health';

/** What readiness checks besides the database. */
export interface ReadinessProbes {
  /** Signs a test message with the checkpoint key; rejects when it cannot. Absent: not configured (tests). */
  checkpointSigner?: () => Promise<void>;
}

/** Resolves within `timeoutMs` with whether `probe` succeeded; never rejects. */
async function within(timeoutMs: number, probe: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([probe().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The replica's readiness (proto/api/health.ts, ReadyAnswer): `down` when the database or the
 * checkpoint signer is unusable, `degraded` when some configured departments do not answer,
 * `ready` otherwise. The department probes are cached (departments/health.ts), so a load
 * balancer polling every second does not call every department every second.
 */
export async function checkReady(
  ctx: { db: Db; departmentHealth?: DepartmentHealth; departments?: readonly string[]; probes?: ReadinessProbes },
  timeoutMs = 2000,
): Promise<ReadyAnswer> {
  const signer = ctx.probes?.checkpointSigner;
  // Without probes (tests without departments) there is nothing to count.
  const departments = ctx.departmentHealth ? (ctx.departments ?? []) : [];
  const [database, signed, health] = await Promise.all([
    within(timeoutMs, () => ctx.db.execute(sql`select 1`)),
    signer ? within(timeoutMs, signer) : Promise.resolve(null),
    ctx.departmentHealth ? ctx.departmentHealth.check(departments) : Promise.resolve(null),
  ]);
  const unreachable = health ? departments.filter((d) => health[d]?.health !== 'serving') : [];
  const status = !database || signed === false ? 'down' : unreachable.length ? 'degraded' : 'ready';
  return {
    status,
    database: { status: database ? 'up' : 'down' },
    checkpointSigner: { status: signed === null ? 'not_configured' : signed ? 'up' : 'down' },
    departments: { total: departments.length, reachable: departments.length - unreachable.length, unreachable },
  };
}
