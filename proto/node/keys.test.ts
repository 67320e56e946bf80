import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, diffieHellman, sign, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { jwkPair, newEd25519PrivateKey, newEd25519SigningJwks, newP256Agreement, newP256PrivateKey } from './keys';
import { nodeHeaderKey } from './primitives';

describe('keys made without a key-generation job', () => {
  it('Ed25519: a working signing key, fresh each time, as JWKs with kid, alg and use', () => {
    const key = newEd25519PrivateKey();
    expect(key.asymmetricKeyType).toBe('ed25519');
    const message = Buffer.from('qiao');
    expect(verify(null, message, createPublicKey(key), sign(null, message, key))).toBe(true);
    const { publicJwk, privateJwk } = newEd25519SigningJwks('k1');
    expect(publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: 'k1', alg: 'EdDSA', use: 'sig' });
    expect(privateJwk).toEqual({ ...publicJwk, d: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(createPublicKey({ key: privateJwk as never, format: 'jwk' }).export({ format: 'jwk' }).x).toBe(publicJwk.x);
    expect(newEd25519SigningJwks('k2').publicJwk.x).not.toBe(publicJwk.x);
  });

  it('P-256: the private key and the agreement give the ECDH secret of node:crypto', () => {
    const a = newP256PrivateKey();
    expect(a.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const jwk = a.export({ format: 'jwk' });
    expect([jwk.x, jwk.y, jwk.d].map((v) => Buffer.from(v!, 'base64url').length)).toEqual([32, 32, 32]);
    const { ecdh, point } = newP256Agreement();
    expect(point.length).toBe(65);
    const b = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
    const aPoint = createPublicKey(a).export({ type: 'spki', format: 'der' }).subarray(-65);
    expect(ecdh.computeSecret(aPoint).equals(diffieHellman({ privateKey: a, publicKey: b }))).toBe(true);
  });

  it('jwkPair: the bare private JWK of a key and its public half, for either curve', () => {
    const ed = newEd25519PrivateKey();
    const { publicJwk, privateJwk } = jwkPair(ed);
    expect(publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(privateJwk).toEqual({ ...publicJwk, d: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const message = Buffer.from('qiao');
    const signature = sign(null, message, createPrivateKey({ key: privateJwk as never, format: 'jwk' }));
    expect(verify(null, message, createPublicKey({ key: publicJwk as never, format: 'jwk' }), signature)).toBe(true);
    const p256 = newP256PrivateKey();
    const ec = jwkPair(p256);
    expect(ec.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(ec.privateJwk).toEqual({ ...ec.publicJwk, d: p256.export({ format: 'jwk' }).d });
  });

  // Node 20's deadlock (keys.ts) needs a garbage collection in the middle of an export: a loop of
  // generateKeyPairSync and export hangs within a few ten thousand (such a loop over
  // generateKeyPairSync keys hung in 5 runs of 5 on v20.20.2 before 10,000). The same loop over these keys,
  // and over result headers sealed and opened, in a child process that must end within the bound.
  it('exports and seals tens of thousands of keys under allocation pressure without hanging', async () => {
    const script = `
      import { newEd25519PrivateKey, newP256PrivateKey } from ${JSON.stringify(fileURLToPath(new URL('./keys.ts', import.meta.url)))};
      import { nodeHeaderKey } from ${JSON.stringify(fileURLToPath(new URL('./primitives.ts', import.meta.url)))};
      const header = nodeHeaderKey();
      const unit = newP256PrivateKey().export({ format: 'jwk' });
      const recipient = { kty: 'EC', crv: 'P-256', x: unit.x, y: unit.y };
      let junk = [];
      for (let i = 0; i < 10000; i++) {
        newP256PrivateKey().export({ format: 'jwk' });
        newEd25519PrivateKey().export({ format: 'jwk' });
        const jwe = header.seal(new Uint8Array(32), recipient, { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'application/octet-stream' });
        if (i % 1000 === 0 && header.open(jwe, unit).length !== 32) throw new Error('open');
        junk.push('x'.repeat(100 + (i % 50)));
        if (junk.length > 1000) junk = [];
      }
      console.log('done');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000, killSignal: 'SIGKILL' });
    expect(stdout.trim()).toBe('done');
  }, 90_000);

  it('the header of a result still opens with the unit key (sealed on the new ephemeral key)', async () => {
    const header = nodeHeaderKey();
    const unit = newP256PrivateKey().export({ format: 'jwk' }) as never as { x: string; y: string; d: string };
    const jwe = await header.seal(new Uint8Array(32).fill(7), { kty: 'EC', crv: 'P-256', x: unit.x, y: unit.y }, { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'application/octet-stream' });
    expect(Buffer.from(await header.open(jwe, { kty: 'EC', crv: 'P-256', ...unit })).equals(Buffer.alloc(32, 7))).toBe(true);
  });
});
