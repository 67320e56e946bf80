import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWarrant } from '../../proto/warrant';
import { loadCatalogue, type Catalogue } from '../catalogue';
import type { Database } from '../db/client';
import { auditEvents, inquiries, units, warrants } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { generateUnitKey, preparePart, seedApprovedInquiry, type SeededInquiry } from '../fanout/test-fixtures';
import { DEFAULT_CATALOGUE_FILE } from '../fanout/worker';
import { createAuditWriter } from '../services/audit/append-audit';
import { buildWarrantClaims, issueWarrant, WarrantIssueError } from './issue-warrant';
import { pseudonymize } from './pseudonym';
import { jwkPair, newEd25519PrivateKey } from '../../proto/node/keys';

let database: Database;
let catalogue: Catalogue;
let signingKey: { privateJwk: JWK; publicJwk: JWK };
const pseudonymKey = randomBytes(32);
const audit = createAuditWriter(randomBytes(32));
const NOW = new Date('2030-03-01T08:00:00Z');

beforeAll(async () => {
  database = await openTestDatabase();
  catalogue = await loadCatalogue(DEFAULT_CATALOGUE_FILE);
  const { publicJwk, privateJwk } = jwkPair(newEd25519PrivateKey());
  signingKey = {
    privateJwk: { ...privateJwk, kid: 'gw-1' },
    publicJwk: { ...publicJwk, kid: 'gw-1' },
  };
});
afterAll(async () => {
  await database?.close();
});

/** The warrant entries of an inquiry (the fixture's submission and approval come before them). */
async function issuedEntries(inquiryId: string) {
  const all = await database.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, inquiryId)).orderBy(auditEvents.id);
  expect(all.slice(0, 2).map((e) => e.action)).toEqual(['inquiry.submitted', 'inquiry.approved']);
  return all.slice(2);
}

describe('buildWarrantClaims', () => {
  it('carries the subjects, the catalogue fields, pseudonyms and the unit public key, and nothing more', async () => {
    const { db } = database;
    const unitKey = await generateUnitKey();
    const seeded = await seedApprovedInquiry(db, {
      encryptionKey: unitKey.publicJwk,
      subjects: [
        { kind: 'person', id: '150627196803120034', name: '李某' },
        { kind: 'person', id: '150627199002150018' },
      ],
    });
    const part = await preparePart(db, seeded.inquiryId, { categories: ['household_members'] });

    const claims = await buildWarrantClaims(db, { part, catalogue, pseudonymKey, now: NOW, ttlMs: 120_000 });

    const [inquiry] = await db.select().from(inquiries).where(eq(inquiries.id, seeded.inquiryId));
    expect(claims).toMatchObject({
      iss: 'qiao-gateway',
      aud: 'public_security',
      iat: NOW.getTime() / 1000,
      nbf: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 120,
      inquiry_id: seeded.inquiryId,
      legal_basis: inquiry!.legalBasis,
      case_ref: pseudonymize(pseudonymKey, 'case', `${seeded.unitId}\0${inquiry!.caseReference}`),
      subjects: [
        { kind: 'person', id: '150627196803120034' },
        { kind: 'person', id: '150627199002150018' },
      ],
      categories: { household_members: catalogue.categories.household_members!.fields },
      // The approval of the banner's league, as the chain asks for.
      approvals: [{ approver: pseudonymize(pseudonymKey, 'approver', seeded.approverId), unit: seeded.leagueId }],
      recipient: { unit: seeded.unitId, key: unitKey.publicJwk },
    });
    expect(claims.subjects[0]).not.toHaveProperty('name');
    const text = JSON.stringify(claims);
    expect(text).not.toContain(inquiry!.caseReference);
    expect(text).not.toContain(seeded.approverId);
    expect(text).not.toContain('李某');
  });

  it("carries the unit's key certificate from the directory as it is stored", async () => {
    const { db } = database;
    const unitKey = await generateUnitKey();
    const seeded = await seedApprovedInquiry(db, { encryptionKey: unitKey.publicJwk });
    await db.update(units).set({ encryptionKeyCert: 'eyJ.certificate.jws' }).where(eq(units.id, seeded.unitId));
    const part = await preparePart(db, seeded.inquiryId);
    const claims = await buildWarrantClaims(db, { part, catalogue, pseudonymKey, now: NOW, ttlMs: 60_000 });
    expect(claims.recipient).toEqual({ unit: seeded.unitId, key: unitKey.publicJwk, key_certificate: 'eyJ.certificate.jws' });
  });

  it('never passes on a private key member that slipped into the directory', async () => {
    const { db } = database;
    const unitKey = await generateUnitKey();
    const seeded = await seedApprovedInquiry(db, { encryptionKey: unitKey.privateJwk });
    const part = await preparePart(db, seeded.inquiryId);
    const claims = await buildWarrantClaims(db, { part, catalogue, pseudonymKey, now: NOW, ttlMs: 60_000 });
    expect(claims.recipient.key).not.toHaveProperty('d');
  });

  it.each([
    ['not_approved', (s: SeededInquiry) => database.db.update(inquiries).set({ state: 'pending_approval' }).where(eq(inquiries.id, s.inquiryId))],
    ['no_recipient_key', (s: SeededInquiry) => database.db.update(units).set({ encryptionKey: null }).where(eq(units.id, s.unitId))],
  ] as const)('refuses when %s', async (problem, spoil) => {
    const { db } = database;
    const seeded = await seedApprovedInquiry(db);
    const part = await preparePart(db, seeded.inquiryId);
    await spoil(seeded);
    await expect(buildWarrantClaims(db, { part, catalogue, pseudonymKey, now: NOW, ttlMs: 60_000 })).rejects.toMatchObject({
      name: 'WarrantIssueError',
      problem,
    });
  });

  it("refuses a category that the catalogue gives to another department", async () => {
    const { db } = database;
    const seeded = await seedApprovedInquiry(db);
    const part = await preparePart(db, seeded.inquiryId, { department: 'public_security', categories: ['household', 'real_estate'] });
    const err = await buildWarrantClaims(db, { part, catalogue, pseudonymKey, now: NOW, ttlMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarrantIssueError);
    expect(err).toMatchObject({ problem: 'category_not_served' });
  });
});

describe('issueWarrant', () => {
  it('signs a warrant the department can verify, stores it and logs it before returning', async () => {
    const { db } = database;
    const seeded = await seedApprovedInquiry(db);
    const part = await preparePart(db, seeded.inquiryId);

    const issued = await issueWarrant(db, { part, signer: { privateJwk: signingKey.privateJwk, pseudonymKey }, catalogue, now: new Date(), attempt: 1, audit });

    const claims = await verifyWarrant(issued.jws, { keys: [signingKey.publicJwk], audience: 'public_security' });
    expect(claims.jti).toBe(issued.claims.jti);
    expect(claims.exp - claims.iat).toBe(300);
    expect(issued.sha256).toBe(createHash('sha256').update(issued.jws).digest('hex'));
    const logged = await issuedEntries(seeded.inquiryId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      action: 'warrant.issued',
      actorUserId: null,
      details: { department: 'public_security', partId: part.id, warrantId: claims.jti, sha256: issued.sha256, kid: 'gw-1', attempt: 1 },
    });
    expect(JSON.stringify(logged[0]!.details)).not.toContain('150627196803120034');
    const [stored] = await db.select().from(warrants).where(eq(warrants.partId, part.id));
    expect(stored).toMatchObject({ warrantId: claims.jti, inquiryId: seeded.inquiryId, department: 'public_security', attempt: 1, jws: issued.jws, sha256: issued.sha256 });
    expect(stored!.issuedAt.getTime()).toBe(claims.iat * 1000);
    expect(stored!.expiresAt.getTime()).toBe(claims.exp * 1000);
  });

  it('stores and logs nothing when the fence refuses (the worker lost the part)', async () => {
    const { db } = database;
    const seeded = await seedApprovedInquiry(db);
    const part = await preparePart(db, seeded.inquiryId);

    await expect(
      issueWarrant(db, {
        part,
        signer: { privateJwk: signingKey.privateJwk, pseudonymKey },
        catalogue,
        now: new Date(),
        attempt: 1,
        audit,
        fence: async () => {
          throw new Error('lease lost');
        },
      }),
    ).rejects.toThrow('lease lost');
    expect(await issuedEntries(seeded.inquiryId)).toEqual([]);
    expect(await db.select().from(warrants).where(eq(warrants.inquiryId, seeded.inquiryId))).toEqual([]);
  });
});

describe('pseudonymize', () => {
  it('is stable for one key and purpose, and differs across keys and purposes', () => {
    const key = randomBytes(32);
    expect(pseudonymize(key, 'case', 'x')).toBe(pseudonymize(key, 'case', 'x'));
    expect(pseudonymize(key, 'case', 'x')).not.toBe(pseudonymize(key, 'approver', 'x'));
    expect(pseudonymize(key, 'case', 'x')).not.toBe(pseudonymize(randomBytes(32), 'case', 'x'));
    expect(pseudonymize(key, 'case', 'x')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
