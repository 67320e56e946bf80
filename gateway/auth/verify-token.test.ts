import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from '../testing/test-issuer';
import { createDevIssuer } from './dev-issuer';
import { createTokenVerifier, loadJwksFile, TokenError } from './verify-token';

describe('loadJwksFile', () => {
  it('loads public keys and refuses private or symmetric ones, naming the file', async () => {
    const issuer = await createTestIssuer();
    const dir = await mkdtemp(join(tmpdir(), 'qiao-jwks-'));
    const file = join(dir, 'jwks.json');

    await writeFile(file, JSON.stringify(issuer.publicJwks));
    expect((await loadJwksFile(file)).keys).toHaveLength(2);

    await writeFile(file, JSON.stringify({ keys: [issuer.privateJwk] }));
    await expect(loadJwksFile(file)).rejects.toThrow(`${file}: not a usable JWKS: keys.0.d: is a private key`);

    await writeFile(file, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    await expect(loadJwksFile(file)).rejects.toThrow(/keys\.0\.kty: only OKP \(Ed25519\) and EC \(P-256\) keys are accepted/);

    await writeFile(file, '{');
    await expect(loadJwksFile(file)).rejects.toThrow(`${file}: cannot load the token issuer's JWKS (not valid JSON)`);
  });
});

describe('createTokenVerifier', () => {
  it('accepts dev issuer tokens and returns the subject', async () => {
    const keys = await createTestIssuer();
    const dev = await createDevIssuer({ privateJwk: keys.privateJwk, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ttlSec: 60 });
    const verifier = createTokenVerifier({ jwks: keys.publicJwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    const { token, expiresAt } = await dev.mint('li.investigator');
    const verified = await verifier.verify(token);
    expect(verified.subject).toBe('li.investigator');
    expect(verified.expiresAt.toISOString()).toBe(expiresAt);
  });

  it('says what is wrong with a refused token', async () => {
    const keys = await createTestIssuer();
    const verifier = createTokenVerifier({ jwks: keys.publicJwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    const problem = (token: string) => verifier.verify(token).then(() => 'accepted', (e: TokenError) => e.problem);
    expect(await problem(await keys.mint('a', { expiresIn: -60 }))).toBe('expired');
    expect(await problem(await keys.mint('a', { audience: 'x' }))).toBe('wrong_audience');
    expect(await problem(await keys.mint('a', { issuer: 'x' }))).toBe('wrong_issuer');
    expect(await problem(await keys.mint('a', { signWith: 'stranger' }))).toBe('bad_signature');
    expect(await problem(keys.unsigned('a'))).toBe('malformed');
    expect(await problem(await keys.hs256('a'))).toBe('malformed');
    expect(await problem('x'.repeat(10_000))).toBe('malformed');
  });
});

describe('createTokenVerifier with a JWKS URL', () => {
  it('fetches once, caches, refetches on a new kid after rotation, and says when the keys cannot be fetched', async () => {
    const { createServer } = await import('node:http');
    const before = await createTestIssuer();
    const after = await createTestIssuer();
    let served = before.publicJwks;
    let fetches = 0;
    const server = createServer((req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const url = new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`);
    try {
      const verifier = createTokenVerifier({ jwks: { url, cooldownMs: 0 }, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
      expect((await verifier.verify(await before.mint('a'))).subject).toBe('a');
      expect((await verifier.verify(await before.mint('b', { alg: 'ES256' }))).subject).toBe('b');
      expect(fetches).toBe(1);

      // The issuer rotates its keys: a token with a kid the cache lacks makes the verifier look again.
      served = after.publicJwks;
      expect((await verifier.verify(await after.mint('c'))).subject).toBe('c');
      expect(fetches).toBe(2);
      // A kid the issuer does not publish at all stays unknown.
      const stranger = await createTestIssuer();
      await expect(verifier.verify(await stranger.mint('d'))).rejects.toMatchObject({ problem: 'unknown_key' });

      // Within the cooldown no refetch happens on an unknown kid.
      const patient = createTokenVerifier({ jwks: { url, cooldownMs: 60_000 }, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
      await patient.verify(await after.mint('e'));
      const count = fetches;
      await expect(patient.verify(await stranger.mint('f'))).rejects.toMatchObject({ problem: 'unknown_key' });
      expect(fetches).toBe(count);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const down = createTokenVerifier({ jwks: { url, cooldownMs: 0 }, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    await expect(down.verify(await before.mint('g'))).rejects.toThrow(`the token issuer's keys cannot be fetched from http://127.0.0.1:${port} right now`);
  });
});
