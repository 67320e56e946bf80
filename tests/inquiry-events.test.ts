import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../client/core/api-client';
import type { InquiryView } from '../proto/api';
import { openDatabase, type Database } from '../gateway/db/client';
import { createTestGateway, type TestGateway, type TestUser } from '../gateway/testing/harness';

/**
 * GET /v1/inquiries/{id}/events through client/core's reader, on two replicas sharing one
 * database: a stream opened on one hears decisions taken on the other and the parts the fan-out
 * records, and ends with the final status. The fallback poll is set far beyond the test's
 * duration, so every event here was told by LISTEN/NOTIFY: on PostgreSQL (TEST_DATABASE_URL)
 * each replica has its own pool and listening connection; PGlite delivers in process.
 */

const NO_POLL = { QIAO_EVENTS_POLL_INTERVAL: '10m' };
let a: TestGateway;
let b: TestGateway;
let second: Database | undefined;
beforeAll(async () => {
  a = await createTestGateway({ env: NO_POLL });
  if (a.database.kind === 'postgres') {
    const { rows } = (await a.db.execute('select current_database() as name')) as unknown as { rows: { name: string }[] };
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${rows[0]!.name}`;
    second = await openDatabase({ url: url.toString(), poolSize: 3 });
  }
  b = await createTestGateway({ database: second ?? a.database, env: NO_POLL });
}, 60_000);
afterAll(async () => {
  await b?.close();
  await second?.close();
  await a?.close();
});

const client = (gw: TestGateway, user: TestUser | null): ApiClient =>
  createApiClient({ baseUrl: 'http://gateway.test', ...(user ? { token: user.token } : {}), fetch: (url, init) => gw.app.request(url, init) });

/** Reads the stream in the background; `next()` resolves with the next view, `done` when the stream ends. */
function follow(api: ApiClient, id: string) {
  const seen: InquiryView[] = [];
  const waiting: ((v: InquiryView) => void)[] = [];
  const stop = new AbortController();
  const done = (async () => {
    for await (const view of api.followInquiry(id, { signal: stop.signal })) {
      seen.push(view);
      waiting.shift()?.(view);
    }
  })();
  let read = 0;
  const next = (): Promise<InquiryView> => (read < seen.length ? Promise.resolve(seen[read++]!) : new Promise((r) => waiting.push((v) => (read++, r(v)))));
  return { next, done, seen, stop: () => stop.abort() };
}

async function submit(categories = ['household', 'grassland_contracts']): Promise<string> {
  const res = await a.as(a.users.investigator).submitInquiry(a.inquiryBody({ categories }));
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('GET /v1/inquiries/:id/events', () => {
  it('sends the inquiry at once, then each decision and part as it happens, on any replica, and ends when it is final', async () => {
    const id = await submit();
    const stream = follow(client(a, a.users.investigator), id);
    expect(await stream.next()).toMatchObject({ id, status: 'pending_approval', decisions: [], parts: [] });

    // Approved through the other replica: this one's stream hears it.
    expect((await b.as(b.users.approver).approve(id)).status).toBe(200);
    const approved = await stream.next();
    expect(approved.status).toBe('running');
    expect(approved.decisions).toMatchObject([{ username: b.users.approver.username, decision: 'approve' }]);
    expect(approved.parts.map((p) => [p.department, p.status])).toEqual([
      ['natural_resources', 'pending'],
      ['public_security', 'pending'],
    ]);

    // The fan-out's own answer recording (no HTTP request at all) is heard too.
    await a.storeResult(id, 'public_security');
    let view = await stream.next();
    while (view.parts.find((p) => p.department === 'public_security')!.status !== 'succeeded') view = await stream.next();
    expect(view.status).toBe('running');
    await b.storeResult(id, 'natural_resources');
    view = await stream.next();
    while (view.status === 'running') view = await stream.next();
    expect(view.status).toBe('completed');
    await stream.done; // the stream ended by itself after the final status
    expect(stream.seen.at(-1)!.status).toBe('completed');
    // Never the same view twice in a row.
    for (let i = 1; i < stream.seen.length; i++) expect(stream.seen[i]).not.toEqual(stream.seen[i - 1]);
  });

  it('ends after a rejection, and at once for an inquiry already final', async () => {
    const id = await submit(['household']);
    const stream = follow(client(a, a.users.investigator), id);
    expect((await stream.next()).status).toBe('pending_approval');
    expect((await a.as(a.users.approver).reject(id)).status).toBe(200);
    await stream.done;
    expect(stream.seen.map((v) => v.status)).toEqual(['pending_approval', 'rejected']);

    const again = follow(client(b, b.users.investigator), id);
    await again.done;
    expect(again.seen.map((v) => v.status)).toEqual(['rejected']);
  });

  it('is authorized exactly like reading the inquiry', async () => {
    const id = await submit(['household']);
    await expect(follow(client(a, a.users.otherInvestigator), id).done).rejects.toMatchObject({ status: 404, code: 'not_found', message: 'inquiry not found' });
    await expect(follow(client(a, null), id).done).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    await expect(follow(client(a, a.users.investigator), 'not-an-id').done).rejects.toMatchObject({ status: 404 });
    // The league's approver may read it, so may follow it.
    const approver = follow(client(a, a.users.approver), id);
    expect((await approver.next()).id).toBe(id);
    approver.stop();
    await approver.done.catch(() => {});
  });

  it('answers text/event-stream with event, id and data lines, and is in the OpenAPI document', async () => {
    const id = await submit(['household']);
    await a.as(a.users.approver).reject(id);
    const res = await a.app.request(`/v1/inquiries/${id}/events`, { headers: { authorization: `Bearer ${a.users.investigator.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).toMatch(/^event: inquiry\ndata: \{.*"status":"rejected".*\}\nid: 1\n\n$/s);
    const doc = (await a.request<{ paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }> }>('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/inquiries/{id}/events']!.get!.responses['200']!.content!)).toEqual(['text/event-stream']);
  });
});
