import type { JWK } from 'jose';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_CERT_ISSUER } from '../../proto/key-certificate';
import { signRevocationList } from '../../proto/revocation-list';
import { Refusal } from './refusal';
import { createRevocationSource } from './revocations';
import { jwkPair, newEd25519PrivateKey } from '../../proto/node/keys';

let authority: { privateJwk: JWK; publicJwk: JWK };
beforeAll(async () => {
  const { publicJwk: bare, privateJwk } = jwkPair(newEd25519PrivateKey());
  const publicJwk = { ...bare, kid: 'authority' };
  authority = { publicJwk, privateJwk: { ...publicJwk, d: privateJwk.d } };
});

const T0 = 1_800_000_000;
const list = (iat: number, serial: number, revoked: string[] = [], key = authority.privateJwk) =>
  signRevocationList({ iss: KEY_CERT_ISSUER, iat, serial, revoked: revoked.map((kid) => ({ kid, revoked_at: iat })) }, key);

/** A directory that answers what `served` holds (or fails), and a clock the test moves. */
function setup(maxAgeSec = 3600) {
  const state = { now: T0, served: undefined as string | undefined, fetches: 0 };
  const source = createRevocationSource({
    location: 'https://directory.test/revocations.jws',
    authorityJwk: authority.publicJwk,
    maxAgeSec,
    logger: pino({ level: 'silent' }),
    now: () => new Date(state.now * 1000),
    fetch: (async () => {
      state.fetches++;
      return state.served === undefined ? new Response('down', { status: 503 }) : new Response(state.served);
    }) as typeof fetch,
  });
  const code = () => source.revoked().then(() => 'ok', (e: unknown) => (e instanceof Refusal ? e.code : String(e)));
  return { state, source, code };
}

describe('the revocation list a department holds', () => {
  it('refuses every warrant (fail-closed) until a list verifies, and while the freshest is older than the limit', async () => {
    const { state, source, code } = setup();
    expect(await code()).toBe('revocations_stale');
    state.served = await list(T0 - 60, 1, ['sk-revoked-0001']);
    state.now += 11; // failed fetches are retried at most every 10 s
    expect([...(await source.revoked())]).toEqual(['sk-revoked-0001']);
    state.served = undefined; // the directory goes away
    state.now = T0 - 60 + 3600 + 1;
    expect(await code()).toBe('revocations_stale');
    state.served = await list(state.now - 5, 2);
    state.now += 11;
    expect([...(await source.revoked())]).toEqual([]);
  });

  it('does not take a list of a lower serial than the one held, nor one not signed by the authority', async () => {
    const { state, source, code } = setup();
    state.served = await list(T0 - 10, 5, ['sk-revoked-0005']);
    expect([...(await source.revoked())]).toEqual(['sk-revoked-0005']);
    // The held list goes stale; the directory (or someone in between) serves an older serial, freshly dated.
    state.now = T0 + 3600;
    state.served = await list(state.now, 4);
    expect(await code()).toBe('revocations_stale');
    state.served = await list(state.now, 6, [], { ...jwkPair(newEd25519PrivateKey()).privateJwk, kid: 'authority' });
    state.now += 11;
    expect(await code()).toBe('revocations_stale');
    state.served = await list(state.now, 6);
    state.now += 11;
    expect([...(await source.revoked())]).toEqual([]);
  });
});
