import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStore } from '../client/cli/session-files';
import { createApiClient, type FetchLike } from '../client/core/api-client';
import { devLogin, openSession } from '../client/core/session';
import { users } from '../gateway/db/schema';
import { createTestGateway, type TestGateway } from '../gateway/testing/harness';

/**
 * The command line's logins with two gateways: each keeps its own token, and the gateway named
 * with --gateway (or QIAO_GATEWAY) is the one spoken to, whatever the kept login says. Two test
 * gateways with their own token issuers; requests reach them through `app.request`.
 */
const A = 'http://gateway-a.test';
const B = 'http://gateway-b.test';
let gwA: TestGateway;
let gwB: TestGateway;
let dir: string;
let username: string;
const reached: string[] = [];
const fetch: FetchLike = (url, init) => {
  const origin = new URL(url).origin;
  reached.push(origin);
  return (origin === A ? gwA : gwB).app.request(url, init);
};

beforeAll(async () => {
  [gwA, gwB] = [await createTestGateway(), await createTestGateway()];
  // The same investigator is known to both gateways.
  username = gwA.users.investigator.username;
  await gwB.db.insert(users).values({ username, displayName: 'Li at B', unitId: gwB.units.banner, roles: ['investigator'] });
  dir = await mkdtemp(join(tmpdir(), 'qiao-sessions-'));
  await createSessionStore(dir).save(await devLogin(A, username, { fetch }), { makeCurrent: true });
});
afterAll(async () => {
  await gwA?.close();
  await gwB?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const open = (named?: { gateway?: string; as?: string }) => openSession({ store: createSessionStore(dir), defaultGateway: 'http://127.0.0.1:8080', fetch, ...named });

describe('logins at two gateways', () => {
  it('speaks to the current login’s gateway when none is named', async () => {
    reached.length = 0;
    const { client } = await open();
    expect((await client.me()).user.displayName).not.toBe('Li at B');
    expect(reached).toEqual([A]);
  });

  it('does not send a login of one gateway to another: without --as it says which gateway the login is for', async () => {
    reached.length = 0;
    await expect(open({ gateway: B })).rejects.toMatchObject({
      code: 'not_logged_in',
      message: `not logged in at ${B}: your login (${username}) is for ${A}; run \`./qiao --gateway ${B} login <username>\` or pass --as <username>`,
    });
    expect(reached).toEqual([]);
  });

  it('logs in anew at the named gateway with --as, keeping the other gateway’s login', async () => {
    reached.length = 0;
    const { client, session } = await open({ gateway: `${B}/`, as: username });
    expect(session.gateway).toBe(`${B}/`);
    expect((await client.me()).user.displayName).toBe('Li at B');
    expect(reached).toEqual([B, B]); // the login, then the call: nothing went to A
    const store = createSessionStore(dir);
    const [atA, atB] = [await store.load(A, username), await store.load(B, username)];
    expect(atA?.token).toBeDefined();
    expect(atB?.token).toBe(session.token);
    expect(atA?.token).not.toBe(atB?.token);
    // Each token is good only at its own gateway: A's, sent to B, is refused.
    await expect(createApiClient({ baseUrl: B, token: atA!.token, fetch }).me()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    // Now the current user has a login at B too, and a later command naming B uses it.
    const { client: again } = await open({ gateway: B });
    expect((await again.me()).user.displayName).toBe('Li at B');
    expect(reached.filter((o) => o === A)).toEqual([]);
  });
});
