import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, inquiries } from '../../db/schema';
import { createTestGateway, type TestGateway } from '../../testing/harness';
import { creditCode, residentId, withWrongCheckChar } from '../../testing/subjects';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw?.close());

const inquiryCount = async () => (await gw.db.select({ n: count() }).from(inquiries))[0]!.n;

describe('POST /v1/inquiries', () => {
  it('creates a pending inquiry of the caller’s unit and audits it in the same request', async () => {
    const body = gw.inquiryBody({
      subjects: [
        { kind: 'person', id: '150627196803120034', name: '李某' },
        { kind: 'organisation', id: creditCode('150627') },
      ],
      categories: ['household', 'grassland_contracts'],
    });
    const res = await gw.as(gw.users.investigator).submitInquiry(body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      unitId: '150627',
      createdBy: { id: gw.users.investigator.id, username: gw.users.investigator.username },
      caseReference: body.caseReference,
      subjects: body.subjects,
      categories: ['household', 'grassland_contracts'],
      state: 'pending_approval',
      status: 'pending_approval',
      decisions: [],
      parts: [],
    });
    // The answer is built from the inserted row without reading it back: it is what a read shows.
    const read = await gw.as(gw.users.investigator).getInquiry(res.body.id);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    const audit = await gw.db.select().from(auditEvents);
    const entry = audit.find((e) => e.inquiryId === res.body.id);
    expect(entry).toMatchObject({
      action: 'inquiry.submitted',
      actorUserId: gw.users.investigator.id,
      actorUnitId: '150627',
      requestId: res.headers.get('x-request-id'),
      details: { categories: ['household', 'grassland_contracts'], subjects: 2 },
    });
    // Neither the audit log nor the application log carries subject ids.
    expect(JSON.stringify(audit)).not.toContain('150627196803120034');
    expect(gw.logs.join('\n')).not.toContain('150627196803120034');
  });

  type Case = { name: string; body: () => unknown; message: RegExp; paths: string[] };
  const cases: Case[] = [
    {
      name: 'a missing field',
      body: () => {
        const { caseReference: _, ...rest } = gw.inquiryBody();
        return rest;
      },
      message: /^caseReference: /,
      paths: ['caseReference'],
    },
    { name: 'a field of the wrong type', body: () => gw.inquiryBody({ subjects: 'Li' }), message: /^subjects: /, paths: ['subjects'] },
    { name: 'an unknown field', body: () => gw.inquiryBody({ priority: 'high' }), message: /priority/, paths: ['(body)'] },
    { name: 'an empty purpose', body: () => gw.inquiryBody({ purpose: '   ' }), message: /^purpose: must not be empty$/, paths: ['purpose'] },
    {
      name: 'a resident ID with a wrong check character',
      body: () => {
        const { id, expected } = withWrongCheckChar('150627196803120034');
        return gw.inquiryBody({
          subjects: [
            { kind: 'person', id: residentId('150627') },
            { kind: 'person', id },
          ],
          __expected: expected,
        });
      },
      message: /^subjects\[1\]\.id: resident ID number 15062719680312003[0-9X] has check character [0-9X], expected 4: a digit is probably mistyped$/,
      paths: ['subjects[1].id'],
    },
    {
      name: 'a credit code with a wrong check character',
      body: () => gw.inquiryBody({ subjects: [{ kind: 'organisation', id: withWrongCheckChar(creditCode('150627')).id }] }),
      message: /^subjects\[0\]\.id: unified social credit code 91150627\w{10} has check character \w, expected \w/,
      paths: ['subjects[0].id'],
    },
    {
      name: 'an impossible birth date',
      body: () => gw.inquiryBody({ subjects: [{ kind: 'person', id: residentId('150627', '19680231') }] }),
      message: /^subjects\[0\]\.id: .* has an impossible birth date 19680231/,
      paths: ['subjects[0].id'],
    },
    {
      name: 'an unknown subject kind',
      body: () => gw.inquiryBody({ subjects: [{ kind: 'vehicle', id: '蒙K12345' }] }),
      message: /^subjects\[0\]\.kind: /,
      paths: ['subjects[0].kind'],
    },
    {
      name: 'a repeated subject',
      body: () => gw.inquiryBody({ subjects: [{ kind: 'person', id: '150627196803120034' }, { kind: 'person', id: '150627196803120034' }] }),
      message: /^subjects\[1\]\.id: repeats subjects\[0\]$/,
      paths: ['subjects[1].id'],
    },
    {
      name: 'too many subjects',
      body: () =>
        gw.inquiryBody({ subjects: Array.from({ length: 51 }, (_, i) => ({ kind: 'person', id: residentId('150627', '19800101', i) })) }),
      message: /^subjects: must name at most 50 subjects$/,
      paths: ['subjects'],
    },
    { name: 'no categories', body: () => gw.inquiryBody({ categories: [] }), message: /^categories: must name at least one/, paths: ['categories'] },
    {
      name: 'too many categories',
      body: () => gw.inquiryBody({ categories: Array.from({ length: 21 }, (_, i) => `c${i}`) }),
      message: /^categories: must name at most 20/,
      paths: ['categories'],
    },
    {
      name: 'an unknown category',
      body: () => gw.inquiryBody({ categories: ['household', 'bank_statements'] }),
      message: /^categories\[1\]: unknown category "bank_statements"; known categories: bank_accounts, bank_transactions, enterprises, grassland_contracts, household, household_members, public_officials, real_estate, social_assistance, subsidies, vehicles$/,
      paths: ['categories[1]'],
    },
  ];

  it.each(cases)('refuses $name with 400 naming the field, writing nothing', async ({ body, message, paths }) => {
    const before = await inquiryCount();
    const json = body() as Record<string, unknown>;
    delete json.__expected;
    const res = await gw.as(gw.users.investigator).submitInquiry(json);
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe('invalid_argument');
    expect(res.error?.message).toMatch(message);
    expect(res.error?.details?.map((d) => d.path)).toEqual(paths);
    expect(res.error?.requestId).toBe(res.headers.get('x-request-id'));
    expect(await inquiryCount()).toBe(before);
  });

  it('refuses a body that is not JSON with 400, and one that is not declared JSON with 415', async () => {
    const client = gw.as(gw.users.investigator);
    const notJson = await client.request('POST', '/v1/inquiries', { body: '{"caseReference":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.error?.message).toBe('the body is not valid JSON');
    const text = await client.request('POST', '/v1/inquiries', { body: JSON.stringify(gw.inquiryBody()), headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.error?.code).toBe('unsupported_media_type');
    // A JSON type with a malformed parameter is not one the route declares: the same answer.
    const malformed = await client.request('POST', '/v1/inquiries', { body: JSON.stringify(gw.inquiryBody()), headers: { 'content-type': 'application/json; charset' } });
    expect([malformed.status, malformed.error?.code, malformed.error?.message]).toEqual([415, 'unsupported_media_type', text.error?.message]);
  });

  it('refuses a body over 256 KiB with 413 before parsing it', async () => {
    const before = await inquiryCount();
    const res = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ purpose: 'x'.repeat(300 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.error).toMatchObject({ code: 'payload_too_large', message: 'the body must be at most 256 KiB' });
    expect(await inquiryCount()).toBe(before);
  });

  it('accepts exactly 50 subjects', async () => {
    const subjects = Array.from({ length: 50 }, (_, i) => ({ kind: 'person', id: residentId('150627', '19800101', i) }));
    const res = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ subjects }));
    expect(res.status).toBe(201);
    expect(res.body.subjects).toHaveLength(50);
  });
});
