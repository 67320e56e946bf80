import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { auditEvents } from '../gateway/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { DEMO_DEPARTMENTS } from '../adapters/departments';
import { loadApprovalRules, REFUSAL_METADATA_KEY, startAdapter } from '../adapters/kit';
import { connectDepartment, executeAll, signTestWarrant, warrantClaims } from '../adapters/kit/testing';
import { KEY_CERT_ISSUER, signKeyCertificate } from '../proto/key-certificate';
import type { WarrantClaims } from '../proto/warrant';
import { join } from 'node:path';
import { fetchAndDecrypt, waitForResults } from '../client/core/results';
import categories from '../policies/categories.json';
import { bootFederation, type Federation } from './harness/federation';
import { jwkPair, newP256PrivateKey } from '../proto/node/keys';

const LI = '150627196803120034';
const CATEGORIES = ['household', 'household_members', 'real_estate', 'grassland_contracts'] as const;

/** What a department holds on a person, cut to the catalogue's fields: what the result must equal. */
async function departmentData(subject: string) {
  const expected: Record<string, unknown>[] = [];
  for (const category of CATEGORIES) {
    const entry = categories.categories[category];
    const source = DEMO_DEPARTMENTS[entry.department]!.createSource();
    const found = await source.lookup(category, { kind: 'person', id: subject });
    for await (const batch of Symbol.asyncIterator in found ? found : [found]) {
      for (const record of batch) {
        expected.push({ department: entry.department, category, subject, ...Object.fromEntries(entry.fields.map((f) => [f, record[f] ?? null])) });
      }
    }
  }
  return expected;
}

function claimsFor(department: string): WarrantClaims {
  const category = Object.entries(categories.categories).find(([, c]) => c.department === department)!;
  return warrantClaims({
    aud: department,
    subjects: [{ kind: 'person', id: LI }],
    categories: { [category[0]]: [...category[1].fields] },
    recipientKey: fed.pki.units['150627']!.publicJwk,
    keyCertificate: fed.pki.units['150627']!.keyCertificate,
  });
}

async function execute(port: number, department: string, warrant: string) {
  const client = connectDepartment(port, department, { ca: fed.pki.caCert, ...fed.pki.gatewayClient });
  try {
    return await executeAll(client, warrant);
  } finally {
    client.close();
  }
}

const sortKey = (r: Record<string, unknown>) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

let fed: Federation;

/** Li's inquiry as in the demo: submitted, approved by Ordos City, fanned out and answered. */
async function answeredInquiry(): Promise<string> {
  const { id } = await (await fed.as('inv.ejinhoro')).submitInquiry({
    caseReference: 'EJH-2019-031',
    legalBasis: 'Supervision Law art. 18',
    purpose: 'verify grassland subsidy declarations',
    subjects: [{ kind: 'person', id: LI }],
    categories: [...CATEGORIES],
  });
  await (await fed.as('appr.ordos')).approve(id, { comment: 'approved' });
  await fed.drain();
  return id;
}

describe('the whole federation, in process', () => {
  const receiptKeys = () => directoryReceiptKeys(join(fed.pki.dir, 'directory'));

  beforeAll(async () => {
    fed = await bootFederation();
  }, 180_000); // the federation boots eight department adapters: on a loaded machine that outlasts a minute
  afterAll(async () => fed?.close());

  it('runs an inquiry end to end: submit, approve, fan out over mTLS gRPC, decrypt locally what the departments hold', async () => {
    const investigator = await fed.as('inv.ejinhoro');
    const submitted = await investigator.submitInquiry({
      caseReference: 'EJH-2019-031',
      legalBasis: 'Supervision Law art. 18',
      purpose: 'verify grassland subsidy declarations',
      subjects: [{ kind: 'person', id: LI }],
      categories: [...CATEGORIES],
    });
    const inquiryId = submitted.id;
    expect(submitted.status).toBe('pending_approval');

    const approved = await (await fed.as('appr.ordos')).approve(inquiryId, { comment: 'approved' });
    expect(approved.status).toBe('running');

    await fed.drain();
    const listing = await waitForResults(investigator, inquiryId, 0);
    expect(listing.status).toBe('completed');
    expect(listing.recipientUnit).toBe('150627');
    expect(listing.results.map((r) => [r.department, r.status]).sort()).toEqual([
      ['natural_resources', 'succeeded'],
      ['public_security', 'succeeded'],
    ]);

    const unitKey = fed.pki.units['150627']!.privateJwk;
    const received: Record<string, unknown>[] = [];
    for (const summary of listing.results) {
      for (const record of await fetchAndDecrypt(investigator, inquiryId, summary, { privateKey: unitKey, receiptKeys: receiptKeys() })) {
        received.push({ department: summary.department, ...record });
      }
    }
    const expected = await departmentData(LI);
    expect(expected.length).toBeGreaterThan(5);
    expect(received.map(sortKey).sort()).toEqual(expected.map(sortKey).sort());
    // Each answer's receipt is in the listing, and its digest in the audit entry of the answer.
    const answered = await fed.gateway.database.db.select().from(auditEvents).where(and(eq(auditEvents.inquiryId, inquiryId), eq(auditEvents.action, 'department.answered')));
    for (const summary of listing.results) {
      expect(summary.receipt).toMatch(/^eyJ/);
      const digest = createHash('sha256').update(summary.receipt!).digest('hex');
      expect(answered.find((e) => e.details.department === summary.department)?.details).toMatchObject({ receiptSha256: digest, warrantId: summary.warrantId });
    }
    // The story is in there: both sons moved into Li's household in 2017.
    expect(received.filter((r) => r.category === 'household_members' && r.joined_at === '2017-03-15')).toHaveLength(2);
  });

  it('results decrypt only with the requesting unit key', async () => {
    const inquiryId = await answeredInquiry();
    const investigator = await fed.as('inv.ejinhoro');
    const listing = await waitForResults(investigator, inquiryId, 0);
    const otherUnitKey = fed.pki.units['150600']!.privateJwk;
    await expect(fetchAndDecrypt(investigator, inquiryId, listing.results[0]!, { privateKey: otherUnitKey, receiptKeys: receiptKeys() })).rejects.toThrow(
      /header-decryption check failed/,
    );
  });

  it('the gateway is data-blind: no value the departments returned is anywhere in its database or its logs', async () => {
    await answeredInquiry();
    // Every value of the answer the gateway could not have known from the inquiry itself.
    const known = new Set([LI, ...CATEGORIES, 'public_security', 'natural_resources']);
    const secrets = new Set<string>();
    for (const record of await departmentData(LI)) {
      for (const [field, value] of Object.entries(record)) {
        if (['department', 'category', 'subject'].includes(field) || value === null) continue;
        const text = String(value);
        if (!known.has(text) && text.length >= 4) secrets.add(text);
      }
    }
    expect(secrets.size).toBeGreaterThan(10);
    expect([...secrets]).toEqual(expect.arrayContaining(['150627199002150018', '2017-03-15', expect.stringContaining('木呼敦包村')]));

    const { db } = fed.gateway.database;
    const rows = <T,>(r: unknown) => (r as { rows: T[] }).rows;
    const tables = rows<{ name: string }>(await db.execute(sql`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'`)).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['results', 'result_chunks', 'audit_log_entries', 'inquiries']));
    let dump = '';
    for (const table of tables) {
      for (const row of rows<{ t: string }>(await db.execute(sql`select t::text as t from ${sql.identifier(table)} t`))) dump += `${row.t}\n`;
    }
    const chunks = Buffer.concat(
      rows<{ data: Uint8Array | string }>(await db.execute(sql`select data from result_chunks`)).map((r) =>
        typeof r.data === 'string' ? Buffer.from(r.data.replace(/^\\x/, ''), 'hex') : Buffer.from(r.data),
      ),
    );
    expect(chunks.length).toBeGreaterThan(1000);
    const logs = fed.gatewayLogs.join('');
    expect(logs).toContain('department answered');
    for (const secret of secrets) {
      expect(dump, `database holds ${secret}`).not.toContain(secret);
      expect(chunks.includes(Buffer.from(secret)), `a stored chunk holds ${secret}`).toBe(false);
      expect(dump.includes(Buffer.from(secret).toString('hex')), `database holds ${secret} hex-encoded`).toBe(false);
      expect(logs, `the gateway logged ${secret}`).not.toContain(secret);
    }
    for (const secret of [LI, 'EJH-2019-031']) expect(logs).not.toContain(secret);
  });

  it('another unit cannot see the inquiry or its results: the answer is that of a missing one', async () => {
    const inquiryId = await answeredInquiry();
    const outsider = await fed.as('inv.alxa');
    const missing = '00000000-0000-4000-8000-000000000000';
    const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: { status: number; code: string; message: string }) => [e.status, e.code, e.message]);
    const [a, b] = await Promise.all([errorOf(outsider.getInquiry(inquiryId)), errorOf(outsider.getInquiry(missing))]);
    expect(a).toEqual([404, 'not_found', expect.any(String)]);
    expect(a).toEqual(b);
    const [c, d] = await Promise.all([errorOf(outsider.listResults(inquiryId)), errorOf(outsider.listResults(missing))]);
    expect(c).toEqual(d);
  });

  it('publishes its warrant keys at /.well-known/jwks.json (public halves only), and an adapter that fetches them serves its warrants', async () => {
    const res = await fetch(`${fed.gateway.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(fed.pki.warrantKey.privateJwk.kid);
    expect(jwks.keys.some((k) => 'd' in k)).toBe(false);
    const fetching = await startAdapter({
      department: 'public_security',
      displayName: 'fetching',
      source: DEMO_DEPARTMENTS.public_security!.createSource(),
      tls: { ca: fed.pki.caCert, ...fed.pki.departments.public_security! },
      warrantKeys: [],
      warrantJwksUrl: `${fed.gateway.url}/.well-known/jwks.json`,
      directoryAuthorityKey: fed.pki.directoryAuthority.publicJwk,
      revocations: { location: join(fed.pki.dir, 'directory', 'revocations.jws') },
      approvalRules: await loadApprovalRules(DEMO_DEPARTMENTS.public_security!.approvalRulesFile),
      receiptKey: fed.pki.receiptKeys.public_security!.privateJwk,
      servedLogFile: join(fed.pki.dir, 'fetching-served.ndjson'),
      logger: pino({ level: 'silent' }),
    });
    try {
      const { error } = await execute(fetching.port, 'public_security', await signTestWarrant(claimsFor('public_security'), fed.pki.warrantKey.privateJwk, { authorityPrivateJwk: fed.pki.directoryAuthority.privateJwk }));
      expect(error).toBeNull();
    } finally {
      await fetching.close();
    }
  });

  it('a compromised gateway that puts its own encryption key into a warrant is refused by every department', async () => {
    const rogue = jwkPair(newP256PrivateKey()).publicJwk as WarrantClaims['recipient']['key'];
    const iat = Math.floor(Date.now() / 1000);
    // It holds the warrant key, so its warrants verify; it cannot get the directory authority to certify its key.
    const selfCertified = await signKeyCertificate({ iss: KEY_CERT_ISSUER, unit: '150627', key: rogue, iat, exp: iat + 600 }, fed.pki.warrantKey.privateJwk);
    const departments = Object.keys(fed.adapters);
    expect(departments.sort()).toEqual(['bank', 'civil_affairs', 'finance', 'market_regulation', 'natural_resources', 'organisation', 'public_security', 'vehicle_administration']);
    for (const department of departments) {
      for (const key_certificate of [fed.pki.units['150627']!.keyCertificate, selfCertified, undefined]) {
        const claims = claimsFor(department);
        claims.recipient = { unit: '150627', key: rogue, ...(key_certificate ? { key_certificate } : {}) };
        const { frames, error } = await execute(fed.adapters[department]!.port, department, await signTestWarrant(claims, fed.pki.warrantKey.privateJwk, { authorityPrivateJwk: fed.pki.directoryAuthority.privateJwk }));
        expect(frames).toEqual([]);
        expect([error?.code, error?.metadata.get(REFUSAL_METADATA_KEY)[0]]).toEqual([status.PERMISSION_DENIED, 'recipient_key_not_certified']);
      }
    }
  });
});
