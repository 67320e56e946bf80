import { sql } from 'drizzle-orm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client';
import type { DepartmentCallRecord } from '../departments/activity';
import { INQUIRY_STATES } from '../db/schema/inquiries';
import { PART_STATUSES } from '../db/schema/inquiry-parts';

/**
 * The gateway's Prometheus metrics, one registry per gateway (never prom-client's global one, so
 * two gateways in one process keep theirs apart). Labels are bounded sets only: route patterns,
 * status codes, department names, states, outcomes and contract codes — never a subject id, a
 * user name, an inquiry or warrant id (README, "Metrics", lists every one).
 *
 * What the database knows (inquiries by state, parts by department and status, the fan-out queue,
 * the audit tree and its last checkpoint) is read when Prometheus scrapes: a few aggregate queries
 * under a statement timeout, cached for `databaseCacheMs`, so a scrape every few seconds from
 * several scrapers costs one round of queries. A database that does not answer leaves the
 * labelled ones without samples, the others NaN (unknown, not 0: no rule fires on them), and
 * `qiao_database_up` at 0; /metrics itself still answers.
 */


export interface DatabaseSnapshot {
  inquiriesByState: { state: string; count: number }[];
  partsByDepartmentAndStatus: { department: string; status: string; count: number }[];
  /** Parts pending whose next attempt is due now, not claimed by any replica. */
  queueDepth: number;
  auditTreeSize: number;
  /** When the latest checkpoint was signed; null before the first. */
  latestCheckpointAt: Date | null;
}

export interface GatewayMetricsOptions {
  db: Db;
  /** The connection pool's counts (PostgreSQL); absent for the embedded PGlite, which has none. */
  pool?: () => { total: number; idle: number; waiting: number };
  /** Department calls in flight on this replica, and how many may be. */
  fanoutSlots: { inUse: () => number; capacity: number };
  databaseCacheMs?: number;
  /** Bound of each scrape's database queries (statement timeout and wait). Default 2 s. */
  databaseTimeoutMs?: number;
  clock?: () => Date;
}

export interface GatewayMetrics {
  registry: Registry;
  /** One HTTP request: the route pattern (`/v1/inquiries/:id`), never the raw path. */
  httpRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  /** One call to a department, from its start to its trailer or failure. */
  departmentCall(call: DepartmentCallRecord): void;
  /** Audit entries written by this replica (counted in the transaction that writes them). */
  auditAppended(actions: readonly string[]): void;
  /** The text exposition of every metric. */
  exposition(): Promise<{ contentType: string; text: string }>;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const CALL_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const clock = options.clock ?? (() => new Date());
  const cacheMs = options.databaseCacheMs ?? 5_000;
  const timeoutMs = options.databaseTimeoutMs ?? 2_000;
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'qiao_http_request_duration_seconds',
    help: 'HTTP requests to the API by route pattern, method and status: time to the response headers (a download or event stream is counted when it starts)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const callDuration = new Histogram({
    name: 'qiao_department_call_duration_seconds',
    help: 'Calls to department adapters by department and outcome, from the call to its trailer or failure',
    labelNames: ['department', 'outcome'] as const,
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const callBytes = new Counter({
    name: 'qiao_department_received_bytes_total',
    help: 'Ciphertext bytes received from department adapters by department and outcome (a failed call counts what arrived before it failed)',
    labelNames: ['department', 'outcome'] as const,
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'qiao_department_refusals_total',
    help: 'Calls a department refused, by department and the contract refusal code (proto/refusal.ts)',
    labelNames: ['department', 'code'] as const,
    registers: [registry],
  });
  const auditAppends = new Counter({
    name: 'qiao_audit_appends_total',
    help: 'Audit entries written by this replica, by action (counted when written inside their transaction)',
    labelNames: ['action'] as const,
    registers: [registry],
  });

  // Fan-out slots: this process's own state, read at scrape time.
  new Gauge({
    name: 'qiao_fanout_slots_in_use',
    help: 'Department calls in flight on this replica',
    registers: [registry],
    collect() {
      this.set(options.fanoutSlots.inUse());
    },
  });
  new Gauge({
    name: 'qiao_fanout_slots',
    help: 'Department calls this replica may have in flight (QIAO_FANOUT_CONCURRENCY)',
    registers: [registry],
    collect() {
      this.set(options.fanoutSlots.capacity);
    },
  });
  const pool = options.pool;
  new Gauge({
    name: 'qiao_db_pool_connections',
    help: 'Connections of the PostgreSQL pool by state (in_use, idle); no samples on the embedded database',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      if (!pool) return;
      const p = pool();
      this.set({ state: 'in_use' }, p.total - p.idle);
      this.set({ state: 'idle' }, p.idle);
    },
  });
  new Gauge({
    name: 'qiao_db_pool_waiting',
    help: 'Queries waiting for a connection of the PostgreSQL pool; 0 on the embedded database, which has none',
    registers: [registry],
    collect() {
      this.set(pool ? pool().waiting : 0);
    },
  });

  // What the database knows: one snapshot per `cacheMs`, shared by every gauge below.
  // `up` is a plain round trip, apart from the aggregates: a large table that makes them time out
  // must not look like a database that is down.
  let cached: { at: number; up: Promise<boolean>; snapshot: Promise<DatabaseSnapshot | null> } | null = null;
  const refresh = () => {
    const now = Date.now();
    if (!cached || now - cached.at > cacheMs) {
      cached = {
        at: now,
        up: withTimeout(options.db.execute(sql`select 1`), timeoutMs).then(() => true, () => false),
        snapshot: readSnapshot(options.db, timeoutMs).catch(() => null),
      };
    }
    return cached;
  };
  const snapshot = (): Promise<DatabaseSnapshot | null> => refresh().snapshot;
  new Gauge({
    name: 'qiao_database_up',
    help: '1 when the database answered a round trip (select 1) at the last scrape, 0 when it failed or timed out',
    registers: [registry],
    async collect() {
      this.set((await refresh().up) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'qiao_inquiries',
    help: 'Inquiries by decision state (every replica reports the same, from the database)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      // Every state has a sample, 0 included, so a rule on one never sees it vanish.
      for (const state of INQUIRY_STATES) this.set({ state }, s.inquiriesByState.find((r) => r.state === state)?.count ?? 0);
    },
  });
  new Gauge({
    name: 'qiao_inquiry_parts',
    help: "Departments' shares of approved inquiries by department and status (from the database)",
    labelNames: ['department', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const department of new Set(s.partsByDepartmentAndStatus.map((r) => r.department))) {
        for (const status of PART_STATUSES) {
          this.set({ department, status }, s.partsByDepartmentAndStatus.find((r) => r.department === department && r.status === status)?.count ?? 0);
        }
      }
    },
  });
  new Gauge({
    name: 'qiao_fanout_queue_depth',
    help: 'Parts due for a department call that no replica has claimed yet (from the database)',
    registers: [registry],
    async collect() {
      this.set((await snapshot())?.queueDepth ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'qiao_audit_tree_size',
    help: 'Entries in the audit log (its Merkle tree size, from the database)',
    registers: [registry],
    async collect() {
      this.set((await snapshot())?.auditTreeSize ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'qiao_audit_checkpoint_age_seconds',
    help: 'Time since the latest signed audit checkpoint; NaN before the first',
    registers: [registry],
    async collect() {
      const at = (await snapshot())?.latestCheckpointAt;
      this.set(at ? Math.max(0, (clock().getTime() - at.getTime()) / 1000) : Number.NaN);
    },
  });

  return {
    registry,
    httpRequest: ({ method, route, status }, seconds) => httpDuration.observe({ method, route, status: String(status) }, seconds),
    departmentCall({ department, outcome, refusal, seconds, bytes }) {
      callDuration.observe({ department, outcome }, seconds);
      callBytes.inc({ department, outcome }, bytes);
      if (outcome === 'refused' && refusal) refusals.inc({ department, code: refusal });
    },
    auditAppended(actions) {
      for (const action of actions) auditAppends.inc({ action });
    },
    async exposition() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}

/** `promise`, or a rejection after `timeoutMs`. */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the metrics queries took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The database's share of a scrape: aggregate queries in one transaction under a statement timeout. */
function readSnapshot(db: Db, timeoutMs: number): Promise<DatabaseSnapshot> {
  const read = db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`));
    const rows = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]));
    const states = rows<{ state: string; count: string | number }>(await tx.execute(sql`select state, count(*) as count from inquiries group by state`));
    const parts = rows<{ department: string; status: string; count: string | number }>(
      await tx.execute(sql`select department, status, count(*) as count from inquiry_parts group by department, status`),
    );
    const [queue] = rows<{ count: string | number }>(await tx.execute(sql`select count(*) as count from inquiry_parts where status = 'pending' and next_attempt_at <= now()`));
    const [tree] = rows<{ size: string | number }>(await tx.execute(sql`select size from audit_log_tree where id = 1`));
    const [checkpoint] = rows<{ created_at: string | Date }>(await tx.execute(sql`select created_at from audit_checkpoints order by size desc limit 1`));
    return {
      inquiriesByState: states.map((r) => ({ state: r.state, count: Number(r.count) })),
      partsByDepartmentAndStatus: parts.map((r) => ({ department: r.department, status: r.status, count: Number(r.count) })),
      queueDepth: Number(queue?.count ?? 0),
      auditTreeSize: Number(tree?.size ?? 0),
      latestCheckpointAt: checkpoint ? new Date(checkpoint.created_at) : null,
    };
  });
  return withTimeout(read, timeoutMs);
}
