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
