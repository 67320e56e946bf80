import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DEMO_DEPARTMENTS } from '../../adapters/departments';
import { loadApprovalRules, startAdapter, type ApprovalRules, type DataSource, type RunningAdapter } from '../../adapters/kit';
import { createAdapterLogger } from '../../adapters/kit/telemetry';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import { createApiClient, type ApiClient } from '../../client/core/api-client';
import { nodeFetch } from '../../client/cli/http-transport';
import { devLogin } from '../../client/core/session';
import { parseConfig } from '../../gateway/config';
import { openDatabase, type Database } from '../../gateway/db/client';
import { openTestDatabase } from '../../gateway/db/testing';
import { DEMO_UNITS } from '../../demo/units';
import { DEMO_USERS } from '../../demo/users';
import { withSigning } from '../../client/core/signing';
import type { Subject } from '../../proto/subjects';
import { createLogger } from '../../gateway/logger';
import { startGateway, type RunningGateway } from '../../gateway/server';

export interface Federation {
  pki: DevPki;
  gateway: RunningGateway;
  adapters: Record<string, RunningAdapter>;
  /** Every line the gateway logged, as written. */
  gatewayLogs: string[];
  /** Every line the adapters logged (only with `adapterLogLevel`). */
  adapterLogs: string[];
  /** An API client acting as a demo user (tokens from the development issuer). */
  as(username: string): Promise<ApiClient>;
  /**
   * Submits an inquiry as `investigator` and approves it with each approver in turn until it runs
   * (sensitive categories may need more than one approval); returns the inquiry id.
   */
  runInquiry(input: { investigator: string; approvers: string[]; subjects: Subject[]; categories: string[] }): Promise<string>;
  /**
   * Runs the gateway's fan-out until no department part is due: every approved inquiry's parts
   * have been sent and answered (or failed, or wait for a retry). Await it instead of polling;
   * then one look at the listing (`waitForResults(api, id, 0)`) shows the outcome.
   */
  drain(): Promise<void>;
  /**
   * Another replica of the gateway: the same configuration, its own pool and listening connection
   * on the same PostgreSQL database (TEST_DATABASE_URL only: PGlite has no second connection).
   * Closed with the federation.
   */
  startReplica(): Promise<RunningGateway>;
  close(): Promise<void>;
}

/**
 * The whole demo federation in this process: a fresh development PKI in a temporary folder, the
 * demo department adapters on mTLS gRPC, and a gateway on a fresh test database with the demo
 * units and users — every server on 127.0.0.1 on a port chosen at run time.
 */
export async function bootFederation(
  options: {
    env?: Record<string, string>;
    sources?: Partial<Record<string, DataSource>>;
    /** A department's own rules other than its file's. */
    approvalRules?: Partial<Record<string, ApprovalRules>>;
    revocationsMaxAgeSec?: number;
    /** Signing key ids the directory's revocation list names from the start. */
    revoke?: string[];
    /** The gateway's log level; its lines are kept in `gatewayLogs` (default debug, as tests read them). */
    logLevel?: 'debug' | 'info' | 'warn';
    /** The adapters' log level; their lines are kept in `adapterLogs` (default silent). */
    adapterLogLevel?: 'debug' | 'info' | 'warn';
    /** Runs once the PKI exists, before the gateway is configured: more configuration (e.g. another token issuer). */
    beforeGateway?: (pki: DevPki) => Promise<Record<string, string>>;
  } = {},
): Promise<Federation> {
  const dir = await mkdtemp(join(tmpdir(), 'qiao-federation-'));
  const departments = Object.keys(DEMO_DEPARTMENTS);
  const pki = await ensureDevPki({ dir, departments, units: DEMO_UNITS.map((u) => u.id), signers: DEMO_USERS, ...(options.revoke ? { revoke: options.revoke } : {}) });
  const adapterLogs: string[] = [];
  const adapterLogger = options.adapterLogLevel
    ? createAdapterLogger('adapter', { write: (line: string) => void adapterLogs.push(line) }, options.adapterLogLevel)
    : pino({ level: 'silent' });
  const adapters: Record<string, RunningAdapter> = {};
  for (const [name, dept] of Object.entries(DEMO_DEPARTMENTS)) {
    const { cert, key } = pki.departments[name]!;
    adapters[name] = await startAdapter({
      department: name,
      displayName: dept.displayName,
      source: options.sources?.[name] ?? dept.createSource(),
      tls: { ca: pki.caCert, cert, key },
      warrantKeys: pki.warrantKey.publicJwks.keys,
      directoryAuthorityKey: pki.directoryAuthority.publicJwk,
      revocations: { location: join(dir, 'directory', 'revocations.jws'), ...(options.revocationsMaxAgeSec ? { maxAgeSec: options.revocationsMaxAgeSec } : {}) },
      approvalRules: options.approvalRules?.[name] ?? (await loadApprovalRules(dept.approvalRulesFile)),
      receiptKey: pki.receiptKeys[name]!.privateJwk,
      servedLogFile: join(dir, 'served', `${name}.ndjson`),
      host: '127.0.0.1',
      port: 0,
      logger: adapterLogger,
    });
  }
  const config = parseConfig({
    QIAO_MODE: 'development',
    QIAO_HTTP_PORT: '0',
    QIAO_METRICS_PORT: '0',
    QIAO_PKI_DIR: dir,
    QIAO_DEPARTMENTS: Object.entries(adapters).map(([name, a]) => `${name}=127.0.0.1:${a.port}`).join(','),
    ...options.env,
    ...(options.beforeGateway ? await options.beforeGateway(pki) : {}),
  });
  const gatewayLogs: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { gatewayLogs.push(String(chunk)); done(); } });
  const database = await openTestDatabase();
  const replicas: { replica: RunningGateway; own: Database }[] = [];
  const gateway = await startGateway({ config, logger: createLogger({ level: options.logLevel ?? 'debug', destination }), database, seedDemo: true });
  // Demo users who sign do so with their dev key, as `qiao` does with the key file, and talk HTTP as it does.
  const transport = nodeFetch();
  const as = async (username: string) => {
    const client = createApiClient({ baseUrl: gateway.url, token: (await devLogin(gateway.url, username, { fetch: transport })).token, fetch: transport });
    const signer = pki.signers[username];
    if (!signer) return client;
    const recipient = async (unit: string) => {
      const u = pki.units[unit];
      if (!u) throw new Error(`no unit key for ${unit} in the test PKI`);
      return { unit, key: u.publicJwk, certificate: u.keyCertificate };
    };
    return withSigning(client, signer, { authorityJwk: pki.directoryAuthority.publicJwk, recipient, unitId: signer.claims.unit });
  };
  return {
    pki,
    gateway,
    adapters,
    gatewayLogs,
    adapterLogs,
    as,
    async runInquiry(input) {
      const investigator = await as(input.investigator);
      const { id } = await investigator.submitInquiry({
        caseReference: `T-${Date.now()}`,
        legalBasis: 'Supervision Law art. 18',
        purpose: 'test inquiry',
        subjects: input.subjects,
        categories: input.categories,
      });
      for (const approver of input.approvers) {
        const decided = await (await as(approver)).approve(id, { comment: 'approved' });
        if (decided.status !== 'pending_approval') break;
      }
      return id;
    },
    drain: () => gateway.drain(),
    async startReplica() {
      if (database.kind !== 'postgres') throw new Error('a second replica needs PostgreSQL: set TEST_DATABASE_URL');
      const { rows } = (await database.db.execute('select current_database() as name')) as unknown as { rows: { name: string }[] };
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.pathname = `/${rows[0]!.name}`;
      const own = await openDatabase({ url: url.toString(), poolSize: 5, onConnectionError: () => {} });
      const replica = await startGateway({ config, logger: createLogger({ level: options.logLevel ?? 'debug', destination }), database: own });
      replicas.push({ replica, own });
      return replica;
    },
    async close() {
      for (const { replica, own } of replicas.splice(0)) {
        await replica.close();
        await own.close();
      }
      await gateway.close();
      await Promise.all(Object.values(adapters).map((a) => a.close()));
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
