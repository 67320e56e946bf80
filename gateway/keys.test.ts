import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../certs-dev/pki';
import { loadGatewayKeys, loadUnitPublicKeys } from './keys';
import { newEd25519SigningJwks } from '../proto/node/keys';

let dir: string;
let pki: DevPki;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qiao-gateway-keys-'));
  pki = await ensureDevPki({ dir, departments: ['public_security'], units: ['150627'] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the keys the gateway loads', () => {
  it('publishes the signing key and, during a rotation, the other key of warrant-jwks.json — public halves only', async () => {
    const next = newEd25519SigningJwks('next-warrant-key').publicJwk;
    const file = path.join(dir, 'keys', 'warrant-jwks.json');
    const jwks = JSON.parse(await readFile(file, 'utf8')) as { keys: object[] };
    await writeFile(file, JSON.stringify({ keys: [...jwks.keys, next] }));
    const keys = await loadGatewayKeys(dir);
    expect(keys.warrantJwks.keys.map((k) => k.kid)).toEqual([pki.warrantKey.privateJwk.kid, 'next-warrant-key']);
    expect(keys.warrantJwks.keys.some((k) => 'd' in k)).toBe(false);
    expect(keys.warrantKey.d).toBeDefined();
  });

  it("reads each unit's public key with the directory's certificate of it, never a private key", async () => {
    const units = await loadUnitPublicKeys(dir);
    expect(units['150627']).toEqual({ key: pki.units['150627']!.publicJwk, certificate: pki.units['150627']!.keyCertificate });
  });
});
