import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../testing/harness';

/**
 * The shared authentication and authorization cases, run against every /v1 route: each bad
 * token is refused with 401 and the error envelope, and nothing is read or written.
 */
let gw: TestGateway;
let inquiryId: string;

beforeAll(async () => {
  gw = await createTestGateway();
  const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody());
  expect(submitted.status).toBe(201);
  inquiryId = submitted.body.id;
});
afterAll(() => gw?.close());

const routes = (): [string, string, unknown?][] => [
  ['GET', '/v1/me'],
  ['POST', '/v1/inquiries', gw.inquiryBody()],
  ['GET', '/v1/inquiries'],
  ['GET', `/v1/inquiries/${inquiryId}`],
  ['POST', `/v1/inquiries/${inquiryId}/approve`, { comment: 'ok' }],
  ['POST', `/v1/inquiries/${inquiryId}/reject`, { comment: 'no' }],
  ['POST', `/v1/inquiries/${inquiryId}/withdraw`, {}],
  ['GET', `/v1/inquiries/${inquiryId}/results`],
  ['GET', `/v1/inquiries/${inquiryId}/results/public_security`],
];

type BadToken = { name: string; headers: () => Promise<Record<string, string>>; message: RegExp };

const bad: BadToken[] = [
  { name: 'no token', headers: async () => ({}), message: /missing bearer token/ },
  { name: 'not a bearer header', headers: async () => ({ authorization: `Basic ${btoa('a:b')}` }), message: /must be "Bearer <token>"/ },
  { name: 'garbage', headers: async () => ({ authorization: 'Bearer not-a-jwt' }), message: /malformed/ },
  {
    name: 'forged signature (unknown key, known kid)',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.mint(gw.users.investigator.username, { signWith: 'stranger' })}` }),
    message: /signature is invalid/,
  },
  {
    name: 'tampered payload',
    headers: async () => ({ authorization: `Bearer ${gw.tokens.tamper(gw.users.colleague.token, gw.users.approver.username)}` }),
    message: /signature is invalid/,
  },
  {
    name: 'expired',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.mint(gw.users.investigator.username, { expiresIn: -120 })}` }),
    message: /expired/,
  },
  {
    name: 'not yet valid',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.mint(gw.users.investigator.username, { notBefore: 600 })}` }),
    message: /not valid yet/,
  },
  {
    name: 'without expiry',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.mint(gw.users.investigator.username, { noExpiry: true })}` }),
    message: /exp/,
  },
  {
    name: 'wrong audience',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.mint(gw.users.investigator.username, { audience: 'qiao-other' })}` }),
    message: /not meant for this gateway/,
  },
  {
    name: 'wrong issuer',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.mint(gw.users.investigator.username, { issuer: 'evil-issuer' })}` }),
    message: /issuer this gateway does not trust/,
  },
  {
    name: 'alg: none',
    headers: async () => ({ authorization: `Bearer ${gw.tokens.unsigned(gw.users.investigator.username)}` }),
    message: /algorithm is not accepted/,
  },
  {
    name: 'HS256 keyed with the public key',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.hs256(gw.users.investigator.username)}` }),
    message: /algorithm is not accepted/,
  },
  {
    name: 'valid signature, user not in the directory',
    headers: async () => ({ authorization: `Bearer ${await gw.tokens.mint('nobody-at-all')}` }),
    message: /not a user of this gateway/,
  },
];

describe.each(bad)('$name', ({ headers, message }) => {
  it('is refused with 401 and the error envelope on every /v1 route, changing nothing', async () => {
    const auditBefore = await auditCount();
    for (const [method, path, json] of routes()) {
      const res = await gw.request(method, path, { headers: await headers(), ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(res.body).toEqual({ error: { code: 'unauthenticated', message: expect.stringMatching(message), requestId: expect.any(String) } });
      expect(res.error?.requestId).toBe(res.headers.get('x-request-id'));
    }
    expect(await auditCount()).toBe(auditBefore);
    const inquiry = await gw.as(gw.users.investigator).getInquiry(inquiryId);
    expect(inquiry.body.state).toBe('pending_approval');
  });
});

describe('valid tokens', () => {
  it('accepts EdDSA and ES256 tokens of the issuer, with a little clock skew', async () => {
    for (const options of [{}, { alg: 'ES256' as const }, { expiresIn: -10 }]) {
      const token = await gw.tokens.mint(gw.users.investigator.username, options);
      const res = await gw.as(token).me();
      expect(res.status, JSON.stringify(options)).toBe(200);
    }
  });

  it('takes unit and roles from the directory, not from claims', async () => {
    const res = await gw.as(gw.users.investigator).me();
    expect(res.body).toEqual({
      user: {
        id: gw.users.investigator.id,
        username: gw.users.investigator.username,
        displayName: gw.users.investigator.displayName,
        roles: ['investigator'],
        department: null,
      },
      unit: { id: '150627', name: 'Ejin Horo Banner', nameZh: '伊金霍洛旗', level: 'banner' },
    });
  });

  it('never logs tokens', async () => {
    await gw.as(gw.users.investigator).me();
    const logText = gw.logs.join('\n');
    expect(logText).toContain(gw.users.investigator.username);
    for (const user of Object.values(gw.users)) expect(logText).not.toContain(user.token.split('.')[2]);
  });
});

describe('wrong role and wrong unit', () => {
  it('refuses submission to roles other than investigator with 403', async () => {
    for (const user of [gw.users.approver, gw.users.auditor, gw.users.departmentOperator, gw.users.administrator]) {
      const res = await gw.as(user).submitInquiry(gw.inquiryBody());
      expect(res.status, user.username).toBe(403);
      expect(res.error?.code).toBe('permission_denied');
    }
  });

  it('answers every inquiry route of another unit exactly like a missing inquiry', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const user of [gw.users.otherInvestigator, gw.users.siblingInvestigator, gw.users.otherApprover]) {
      for (const [method, path, json] of routes().slice(3)) {
        const theirs = await gw.as(user).request(method, path, json ? { json } : {});
        const none = await gw.as(user).request(method, path.replace(inquiryId, missing), json ? { json } : {});
        expect(theirs.status, `${user.username} ${method} ${path}`).toBe(404);
        expect(none.status).toBe(404);
        expect({ ...theirs.error, requestId: '' }).toEqual({ ...none.error, requestId: '' });
      }
    }
  });
});

async function auditCount(): Promise<number> {
  const { auditEvents } = await import('../db/schema');
  return (await gw.db.select().from(auditEvents)).length;
}
