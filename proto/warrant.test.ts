import { describe, expect, it } from 'vitest';
import { CompactSign, importJWK, type JWK } from 'jose';
import { decodeBase64url, decodeUtf8, encodeBase64url } from './bytes';
import { signWarrant, verifyWarrant, WarrantClaims, WarrantError, type WarrantErrorCode } from './warrant';
import vector from './vectors/warrant-v1.json';
import { jwkPair, newEd25519PrivateKey } from './node/keys';

const privateJwk = vector.privateJwk as JWK;
const keys = vector.publicJwks.keys as JWK[];
const claims = WarrantClaims.parse(vector.claims);
const at = new Date(vector.verifyAt * 1000);

async function expectRefused(promise: Promise<unknown>, code: WarrantErrorCode) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WarrantError);
  expect((error as WarrantError).code).toBe(code);
}

/** Sign an arbitrary payload with the vector key, bypassing the claims schema. */
async function signRaw(payload: unknown, header: Record<string, unknown> = {}) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', typ: 'qiao-warrant+jwt', kid: privateJwk.kid, ...header })
    .sign(await importJWK(privateJwk, 'EdDSA'));
}

describe('warrant test vector', () => {
  it('signing the vector claims with the vector key reproduces the vector JWS (Ed25519 is deterministic)', async () => {
    expect(await signWarrant(claims, { privateJwk })).toBe(vector.jws);
  });

  it('the vector JWS verifies and yields the vector claims', async () => {
    expect(await verifyWarrant(vector.jws, { keys, audience: vector.audience, now: at })).toEqual(vector.claims);
  });

  it('has the documented protected header', () => {
    const header = JSON.parse(decodeUtf8(decodeBase64url(vector.jws.split('.')[0]!)));
    expect(header).toEqual({ alg: 'EdDSA', typ: 'qiao-warrant+jwt', kid: 'warrant-test-2024' });
  });
});

describe('verifyWarrant refuses', () => {
  const opts = { keys, audience: 'public_security', now: at };

  it('a signature by another key with the same kid', async () => {
    const forger = { ...jwkPair(newEd25519PrivateKey()).privateJwk, kid: privateJwk.kid };
    await expectRefused(verifyWarrant(await signWarrant(claims, { privateJwk: forger }), opts), 'bad_signature');
  });

  it('a payload altered after signing', async () => {
    const [h, , s] = vector.jws.split('.');
    const altered = encodeBase64url(JSON.stringify({ ...vector.claims, aud: 'public_security', exp: 1915000300 }));
    await expectRefused(verifyWarrant(`${h}.${altered}.${s}`, opts), 'bad_signature');
  });

  it('an unknown kid', async () => {
    await expectRefused(verifyWarrant(await signRaw(vector.claims, { kid: 'someone-else' }), opts), 'unknown_key');
  });

  it('another audience', async () => {
    await expectRefused(verifyWarrant(vector.jws, { ...opts, audience: 'natural_resources' }), 'wrong_audience');
  });

  it('another issuer', async () => {
    await expectRefused(verifyWarrant(await signRaw({ ...vector.claims, iss: 'mallory' }), opts), 'wrong_issuer');
  });

  it('an expired warrant, beyond the clock tolerance', async () => {
    await expectRefused(verifyWarrant(vector.jws, { ...opts, now: new Date((claims.exp + 31) * 1000) }), 'expired');
    await expect(verifyWarrant(vector.jws, { ...opts, now: new Date((claims.exp + 29) * 1000) })).resolves.toBeTruthy();
  });

  it('a warrant not valid yet', async () => {
    await expectRefused(verifyWarrant(vector.jws, { ...opts, now: new Date((claims.nbf - 31) * 1000) }), 'not_yet_valid');
  });

  it('garbage, a wrong typ, a wrong alg and a missing kid as malformed', async () => {
    await expectRefused(verifyWarrant('not a jws', opts), 'malformed');
    await expectRefused(verifyWarrant('', opts), 'malformed');
    await expectRefused(verifyWarrant(await signRaw(vector.claims, { typ: 'JWT' }), opts), 'malformed');
    await expectRefused(verifyWarrant(await signRaw(vector.claims, { kid: undefined }), opts), 'malformed');
    const [, p, s] = vector.jws.split('.');
    const hs = encodeBase64url(JSON.stringify({ alg: 'HS256', typ: 'qiao-warrant+jwt', kid: privateJwk.kid }));
    await expectRefused(verifyWarrant(`${hs}.${p}.${s}`, opts), 'malformed');
  });

  it('a subject with a wrong check character as malformed, without quoting the subject', async () => {
    const payload = { ...vector.claims, subjects: [{ kind: 'person', id: '150627196803120035' }] };
    const error = await verifyWarrant(await signRaw(payload), opts).catch((e: unknown) => e as WarrantError);
    expect(error).toMatchObject({ code: 'malformed', message: 'claim subjects.0.id is invalid' });
  });

  it('signed claims that break the schema as malformed', async () => {
    const bad = [
      { ...vector.claims, subjects: [{ kind: 'person', id: '150627196803120035' }] },
      { ...vector.claims, subjects: [] },
      { ...vector.claims, categories: {} },
      { ...vector.claims, categories: { household: ['address', 'address'] } },
      { ...vector.claims, approvals: [] },
      { ...vector.claims, exp: vector.claims.nbf },
      { ...vector.claims, recipient: { unit: '150627', key: vector.privateJwk } },
    ];
    for (const payload of bad) await expectRefused(verifyWarrant(await signRaw(payload), opts), 'malformed');
  });
});

describe('signWarrant', () => {
  it('refuses invalid claims and keys without kid', async () => {
    await expect(signWarrant({ ...claims, subjects: [] }, { privateJwk })).rejects.toThrow();
    const { kid: _kid, ...noKid } = privateJwk;
    await expect(signWarrant(claims, { privateJwk: noKid })).rejects.toThrow(/kid/);
  });

  it('never carries subject names, even if given', async () => {
    const named = { ...claims, subjects: [{ kind: 'person' as const, id: '150627196803120034', name: '李某' }] };
    const jws = await signWarrant(named, { privateJwk });
    expect(decodeUtf8(decodeBase64url(jws.split('.')[1]!))).not.toContain('李某');
  });
});
