import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { units, users } from '../../db/schema';
import { createTestGateway, type TestGateway } from '../../testing/harness';
import { createDirectoryCache } from './directory-cache';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw?.close());

const later = new Date(Date.now() + 3_600_000);

describe('the directory cache', () => {
  it('keeps a token’s principal until the directory changes, and sees the change within the check interval', async () => {
    let t = 0;
    const cache = createDirectoryCache({ db: gw.db, checkIntervalMs: 1_000, now: () => t });
    const user = await gw.seedUser(gw.units.banner, ['investigator']);
    expect(await cache.cachedPrincipal('token-1', new Date())).toBeUndefined();
    const first = await cache.principalFor('token-1', user.username, later);
    expect(first).toMatchObject({ username: user.username, roles: ['investigator'], unitPath: [{ id: gw.units.banner }, { id: gw.units.league }, { id: gw.units.region }] });
    expect(await cache.cachedPrincipal('token-1', new Date())).toBe(first);

    await gw.db.update(users).set({ roles: ['approver'] }).where(eq(users.id, user.id));
    t = 500; // within the interval: the cached principal stands
    expect((await cache.cachedPrincipal('token-1', new Date()))?.roles).toEqual(['investigator']);
    t = 1_500; // past it: a check runs (in the background), and the changed directory drops every principal
    await cache.cachedPrincipal('token-1', new Date());
    await cache.settled();
    expect(await cache.cachedPrincipal('token-1', new Date())).toBeUndefined();
    expect((await cache.principalFor('token-1', user.username, later))?.roles).toEqual(['approver']);
  });

  it('walks the unit tree in memory and reloads it when a unit changes', async () => {
    let t = 0;
    const cache = createDirectoryCache({ db: gw.db, checkIntervalMs: 1_000, now: () => t });
    expect((await cache.ancestry(gw.units.banner)).map((u) => u.id)).toEqual([gw.units.banner, gw.units.league, gw.units.region]);
    expect(await cache.ancestry('999999')).toEqual([]);
    await gw.db.insert(units).values({ id: '150699', name: 'Test Banner', nameZh: '测试旗', level: 'banner', parentId: gw.units.league });
    t = 2_000;
    await cache.ancestry(gw.units.banner);
    await cache.settled();
    expect((await cache.ancestry('150699')).map((u) => u.id)).toEqual(['150699', gw.units.league, gw.units.region]);
    expect((await cache.units()).some((u) => u.id === '150699')).toBe(true);
  });

  it('forgets a principal whose token has expired, remembers no unknown user, and holds at most maxPrincipals', async () => {
    const cache = createDirectoryCache({ db: gw.db, checkIntervalMs: 60_000, maxPrincipals: 2 });
    const username = gw.users.investigator.username;
    await cache.principalFor('expiring', username, new Date(Date.now() + 1_000));
    expect(await cache.cachedPrincipal('expiring', new Date(Date.now() + 2_000))).toBeUndefined();
    expect(await cache.principalFor('nobody', 'no-such-user', later)).toBeNull();
    expect(await cache.cachedPrincipal('nobody', new Date())).toBeUndefined();
    for (const token of ['a', 'b', 'c']) await cache.principalFor(token, username, later);
    expect(await cache.cachedPrincipal('a', new Date())).toBeUndefined();
    expect(await cache.cachedPrincipal('b', new Date())).toBeDefined();
    expect(await cache.cachedPrincipal('c', new Date())).toBeDefined();
  });
});
