import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { JWK } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import { signKeyCertificate, KEY_CERT_ISSUER } from '../../proto/key-certificate';
import { verifyReceipt } from '../../proto/receipt';
import { decryptResult, FRAME_PLAINTEXT_BYTES, RESULT_FORMAT } from '../../proto/result-envelope';
import type { WarrantClaims, WarrantSubject } from '../../proto/warrant';
import type { DataSource } from './data-source';
import { REFUSAL_METADATA_KEY, type RefusalCode } from './refusal';
import { ADAPTER_KIT_VERSION, startAdapter, type RunningAdapter } from './server';
import {
  checkHealth,
  connectDepartment,
  describeDepartment,
  executeAll,
  issueClientCertificate,
  LEAGUE_APPROVAL_RULES,
  signTestWarrant,
  testAdapterOptions,
  warrantClaims,
  type ClientTls,
} from './testing';
import { jwkPair, newP256PrivateKey } from '../../proto/node/keys';

const DEPARTMENT = 'public_security';
const LI = '150627196803120034';
const SON = '150627199002150018';
const UNKNOWN = '11010519491231002X';

/** A source that returns more than it should (internal fields) and counts its lookups. */
const lookups: string[] = [];
const source: DataSource = {
  categories: {
    household: ['household_id', 'address', 'head_id', 'relation_to_head'],
    household_members: ['member_id', 'name', 'moved_from'],
    bulk: ['n', 'text'],
    broken: ['x'],
  },
  async lookup(category, subject) {
    lookups.push(category);
    if (category === 'broken') throw new Error(`database down while reading ${subject.id}`);
    if (category === 'bulk') return Array.from({ length: 3000 }, (_, n) => ({ n, text: '木呼敦包'.repeat(20) }));
    if (subject.id === UNKNOWN) return [];
    if (category === 'household') {
      return [{ household_id: 'HH150627-106-0042', address: '木呼敦包村三社12号', head_id: LI, relation_to_head: subject.id === LI ? '户主' : '长子', police_station: 'internal' }];
    }
    return [
      { member_id: LI, name: '李某', moved_from: null, id_photo: 'internal' },
      { member_id: SON, name: '李某军', moved_from: 'HH150627-106-0187' }, // moved_from given, fine
      { member_id: '150627197001010022' /* no name: becomes null */ },
    ];
  },
};

let dir: string;
let otherDir: string;
let pki: DevPki;
let other: DevPki;
let adapter: RunningAdapter;
const logs: Record<string, unknown>[] = [];
let gateway: ClientTls;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qiao-adapter-'));
  otherDir = await mkdtemp(path.join(tmpdir(), 'qiao-adapter-other-'));
  [pki, other] = await Promise.all([
    ensureDevPki({ dir, departments: [DEPARTMENT, 'natural_resources'], units: ['150627', '150600'] }),
    ensureDevPki({ dir: otherDir, departments: [DEPARTMENT], units: [] }),
  ]);
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  adapter = await startAdapter({
    ...testAdapterOptions(pki, dir, DEPARTMENT, source),
    displayName: 'Public Security (test)',
    logger,
  });
  gateway = { ca: pki.caCert, ...pki.gatewayClient };
  rogueKey = jwkPair(newP256PrivateKey()).publicJwk;
});

afterAll(async () => {
  await adapter?.close();
  await Promise.all([dir, otherDir].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
});

const person = (id: string): WarrantSubject => ({ kind: 'person', id });
/** A key of the attacker's (a compromised gateway's) own, and a certificate it signs itself. */
let rogueKey: JWK;
const selfCertified = () => {
  const iat = Math.floor(Date.now() / 1000);
  return signKeyCertificate(
    { iss: KEY_CERT_ISSUER, unit: '150627', key: rogueKey as never, iat, exp: iat + 3600 },
    { ...pki.warrantKey.privateJwk, kid: pki.directoryAuthority.publicJwk.kid },
  );
};
const unit = () => pki.units['150627']!;

function claims(overrides: Partial<WarrantClaims> = {}): WarrantClaims {
  return warrantClaims({
    aud: DEPARTMENT,
    subjects: [person(LI), person(SON), person(UNKNOWN)],
    categories: { household: ['household_id', 'relation_to_head'], household_members: ['member_id', 'name', 'moved_from'] },
    recipientKey: unit().publicJwk,
    keyCertificate: unit().keyCertificate,
    ...overrides,
  });
}

const sign = (c: WarrantClaims, key: JWK = pki.warrantKey.privateJwk) => signTestWarrant(c, key, { authorityPrivateJwk: pki.directoryAuthority.privateJwk });

async function execute(warrant: string, tls: ClientTls = gateway) {
  const client = connectDepartment(adapter.port, DEPARTMENT, tls);
  try {
    return await executeAll(client, warrant);
  } finally {
    client.close();
  }
}

describe('a gateway client with a valid warrant', () => {
  it('gets header, chunks and trailer, and the ciphertext decrypts to exactly the projected records', async () => {
    const c = claims();
    const { frames, error } = await execute(await sign(c));
    expect(error).toBeNull();
    expect(frames[0]).toMatchObject({ frame: 'header', header: { format: RESULT_FORMAT, warrantId: c.jti, department: DEPARTMENT } });
    const trailer = frames.at(-1)!;
    expect(trailer.frame).toBe('trailer');
    const chunks = frames.slice(1, -1).map((f) => Buffer.from(f.chunk!));
    const ciphertext = Buffer.concat(chunks);
    const sha256 = createHash('sha256').update(ciphertext).digest('hex');
    expect(trailer.trailer).toMatchObject({ records: 8, bytes: ciphertext.length, sha256 });
    const receipt = await verifyReceipt(trailer.trailer!.receipt, {
      department: DEPARTMENT,
      warrantId: c.jti,
      publicJwk: pki.receiptKeys[DEPARTMENT]!.publicJwk,
    });
    expect(receipt).toMatchObject({ iss: DEPARTMENT, warrant_id: c.jti, records: 8, bytes: ciphertext.length, ciphertext_sha256: sha256 });
    const records = await decryptResult(ciphertext, unit().privateJwk, { warrantId: c.jti, department: DEPARTMENT });
    const household = (subject: string, relation: string) => ({
      category: 'household', subject, household_id: 'HH150627-106-0042', relation_to_head: relation,
    });
    const members = (subject: string) => [
      { category: 'household_members', subject, member_id: LI, name: '李某', moved_from: null },
      { category: 'household_members', subject, member_id: SON, name: '李某军', moved_from: 'HH150627-106-0187' },
      { category: 'household_members', subject, member_id: '150627197001010022', name: null, moved_from: null },
    ];
    expect(records).toEqual([household(LI, '户主'), ...members(LI), household(SON, '长子'), ...members(SON)]);
    expect(JSON.stringify(records)).not.toMatch(/internal|police_station|id_photo|address/);
  });

  it('gets a large result in chunks of at most one 64 KiB frame, intact', async () => {
    const c = claims({ subjects: [person(LI)], categories: { bulk: ['n', 'text'] } });
    const { frames, error } = await execute(await sign(c));
    expect(error).toBeNull();
    const chunks = frames.filter((f) => f.frame === 'chunk').map((f) => Buffer.from(f.chunk!));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(FRAME_PLAINTEXT_BYTES + 20);
    const records = await decryptResult(Buffer.concat(chunks), unit().privateJwk, { warrantId: c.jti, department: DEPARTMENT });
    expect(records).toHaveLength(3000);
    expect(records[2999]).toEqual({ category: 'bulk', subject: LI, n: 2999, text: '木呼敦包'.repeat(20) });
  });

  it('gets an empty, still encrypted, result for subjects with no records', async () => {
    const c = claims({ subjects: [person(UNKNOWN)] });
    const { frames, error } = await execute(await sign(c));
    expect(error).toBeNull();
    expect(frames.at(-1)!.trailer!.records).toBe(0);
    const ciphertext = Buffer.concat(frames.filter((f) => f.chunk).map((f) => Buffer.from(f.chunk!)));
    expect(await decryptResult(ciphertext, unit().privateJwk, { warrantId: c.jti, department: DEPARTMENT })).toEqual([]);
  });

  it('can Describe the department', async () => {
    const client = connectDepartment(adapter.port, DEPARTMENT, gateway);
    const { error, response } = await describeDepartment(client);
    client.close();
    expect(error).toBeNull();
    expect(response).toEqual({
      department: DEPARTMENT,
      displayName: 'Public Security (test)',
      categories: Object.entries(source.categories).map(([name, fields]) => ({ name, fields })),
      version: ADAPTER_KIT_VERSION,
    });
  });
});

describe('health', () => {
  it('answers SERVING for the server and for the Department service', async () => {
    expect(await checkHealth(adapter.port, DEPARTMENT, gateway)).toBe('SERVING');
    expect(await checkHealth(adapter.port, DEPARTMENT, gateway, 'qiao.department.v1.Department')).toBe('SERVING');
  });
});

describe('refusals: a distinct status and reason each, nothing looked up, nothing served', () => {
  interface Case {
    name: string;
    warrant: () => Promise<string>;
    tls?: () => Promise<ClientTls>;
    status: status;
    /** The kit's reason, or null when the TLS handshake refuses before the kit sees the call. */
    reason: RefusalCode | null;
    message: RegExp;
  }
  const valid = () => sign(claims());
  const cases: Case[] = [
    { name: 'no client certificate', tls: async () => ({ ca: pki.caCert }), warrant: valid, status: status.UNAVAILABLE, reason: null, message: /./ },
    { name: 'a client certificate from another CA', tls: async () => ({ ca: pki.caCert, ...other.gatewayClient }), warrant: valid, status: status.UNAVAILABLE, reason: null, message: /./ },
    { name: "a department's own server certificate used as client certificate", tls: async () => ({ ca: pki.caCert, ...pki.departments.natural_resources! }), warrant: valid, status: status.UNAVAILABLE, reason: null, message: /./ },
    { name: 'a client certificate of the right CA with another identity', tls: async () => ({ ca: pki.caCert, ...(await issueClientCertificate(dir, 'natural-resources.department.qiao.internal')) }), warrant: valid, status: status.PERMISSION_DENIED, reason: 'client_not_gateway', message: /not the gateway's/ },
    { name: 'a malformed warrant', warrant: async () => 'not.a.warrant', status: status.UNAUTHENTICATED, reason: 'warrant_malformed', message: /malformed/ },
    { name: 'a forged warrant signature (another key, the real kid)', warrant: () => sign(claims(), { ...other.warrantKey.privateJwk, kid: pki.warrantKey.privateJwk.kid }), status: status.UNAUTHENTICATED, reason: 'warrant_bad_signature', message: /signature does not verify/ },
    { name: 'a warrant signed by a key not in the JWKS', warrant: () => sign(claims(), other.warrantKey.privateJwk), status: status.UNAUTHENTICATED, reason: 'warrant_unknown_key', message: /not in the gateway's JWKS/ },
    { name: 'an expired warrant', warrant: () => { const now = Math.floor(Date.now() / 1000); return sign(claims({ iat: now - 900, nbf: now - 900, exp: now - 600 })); }, status: status.UNAUTHENTICATED, reason: 'warrant_expired', message: /expired/ },
    { name: 'a warrant for another department', warrant: () => sign(claims({ aud: 'natural_resources' })), status: status.PERMISSION_DENIED, reason: 'warrant_wrong_audience', message: /another department/ },
    { name: 'a category the department does not serve', warrant: () => sign(claims({ categories: { household: ['household_id'], bank_accounts: ['account_no'] } })), status: status.INVALID_ARGUMENT, reason: 'category_not_served', message: /does not serve: bank_accounts/ },
    { name: 'a field not in the category', warrant: () => sign(claims({ categories: { household: ['household_id', 'police_station'] } })), status: status.INVALID_ARGUMENT, reason: 'field_not_in_category', message: /household\.police_station/ },
    { name: 'a warrant served before (replay of the same jti)', warrant: async () => { const w = await valid(); expect((await execute(w)).error).toBeNull(); return w; }, status: status.ALREADY_EXISTS, reason: 'warrant_replayed', message: /already used/ },
    { name: 'a recipient key without a key certificate', warrant: () => sign(claims({ recipient: { unit: '150627', key: unit().publicJwk as WarrantClaims['recipient']['key'] } })), status: status.PERMISSION_DENIED, reason: 'recipient_key_not_certified', message: /no key certificate/ },
    { name: "the gateway's own key with the unit's certificate (substituted key)", warrant: () => sign(claims({ recipient: { unit: '150627', key: rogueKey as WarrantClaims['recipient']['key'], key_certificate: unit().keyCertificate } })), status: status.PERMISSION_DENIED, reason: 'recipient_key_not_certified', message: /not the one certified/ },
    { name: 'a key certificate of another unit', warrant: () => sign(claims({ recipient: { unit: '150627', key: pki.units['150600']!.publicJwk as WarrantClaims['recipient']['key'], key_certificate: pki.units['150600']!.keyCertificate } })), status: status.PERMISSION_DENIED, reason: 'recipient_key_not_certified', message: /for unit 150600, not 150627/ },
    { name: 'a key certificate signed by another authority (the gateway certifying its own key)', warrant: async () => sign(claims({ recipient: { unit: '150627', key: rogueKey as WarrantClaims['recipient']['key'], key_certificate: await selfCertified() } })), status: status.PERMISSION_DENIED, reason: 'recipient_key_not_certified', message: /signature does not verify|signed with key/ },
    { name: 'too many subjects', warrant: () => sign(claims({ subjects: Array.from({ length: 51 }, () => person(LI)) })), status: status.INVALID_ARGUMENT, reason: 'too_many_subjects', message: /51 > 50/ },
  ];

  it.each(cases)('$name', async (c) => {
    const warrant = await c.warrant();
    const before = lookups.length;
    const logsBefore = logs.length;
    const { frames, error } = await execute(warrant, c.tls ? await c.tls() : gateway);
    expect(frames).toEqual([]);
    if (process.env.SHOW_REFUSALS) console.log(c.name, error?.code, error?.details);
    expect(error?.code).toBe(c.status);
    expect(error?.details).toMatch(c.message);
    expect(lookups.length).toBe(before);
    if (c.reason) {
      expect(error?.metadata.get(REFUSAL_METADATA_KEY)).toEqual([c.reason]);
      const refusal = logs.slice(logsBefore).find((l) => l.reason === c.reason);
      expect(refusal).toMatchObject({ level: 40, department: DEPARTMENT, reason: c.reason });
    }
  });

  it('each kit refusal is told apart by status and reason', () => {
    const pairs = new Set(cases.filter((c) => c.reason).map((c) => `${c.status}/${c.reason}`));
    const reasons = new Set(cases.filter((c) => c.reason).map((c) => c.reason));
    expect(pairs.size).toBe(reasons.size);
  });

  it('Describe is refused to a client that is not the gateway', async () => {
    const client = connectDepartment(adapter.port, DEPARTMENT, { ca: pki.caCert, ...(await issueClientCertificate(dir, 'intruder.qiao.internal')) });
    const { error } = await describeDepartment(client);
    client.close();
    expect(error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('a failing data source is an INTERNAL error with an opaque message, and nothing is served', async () => {
    const { frames, error } = await execute(await sign(claims({ categories: { broken: ['x'] } })));
    expect(frames).toEqual([]);
    expect(error?.code).toBe(status.INTERNAL);
    expect(error?.details).toBe("the department's data source failed");
    expect(error?.details).not.toContain(LI);
  });

  it('no log line at info or above ever names a subject', async () => {
    // Traffic of its own of each kind — served, refused, failed — besides what other tests logged.
    const served = await sign(claims());
    await execute(served);
    await execute(served); // a replay, refused
    await execute(await sign(claims({ subjects: Array.from({ length: 51 }, () => person(LI)) })));
    await execute(await sign(claims({ categories: { broken: ['x'] } })));
    expect(logs.length).toBeGreaterThan(5);
    expect(logs.some((l) => l.level === 50 && l.reason === 'source_failed')).toBe(true);
    const text = JSON.stringify(logs.filter((l) => Number(l.level) >= 30));
    for (const id of [LI, SON, UNKNOWN]) expect(text).not.toContain(id);
  });
});
