import { verifyRevocationList } from '../proto/revocation-list';
import { verifySignerCertificate } from '../proto/signer-certificate';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, compactDecrypt, CompactEncrypt, importJWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { departmentHostname, GATEWAY_IDENTITY } from '../proto/identity';
import { DevPkiError, devPkiPaths, ensureDevPki, type DevPki } from './pki';
import { EKU_CLIENT_AUTH, EKU_SERVER_AUTH } from './x509';

const DEPARTMENTS = ['public_security', 'natural_resources'];
const UNITS = ['150627', '152900'];
const DAY = 24 * 60 * 60 * 1000;

const dirs: string[] = [];
async function tmpDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qiao-pki-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const SIGNERS = [
  { username: 'inv.test', unitId: '150627', roles: ['investigator'] },
  { username: 'appr.test', unitId: '150600', roles: ['approver'] },
  { username: 'auditor.test', unitId: '150000', roles: ['auditor'] },
];
const generate = async (dir: string, now?: Date, revoke?: string[]) =>
  ensureDevPki({ dir, departments: DEPARTMENTS, units: UNITS, signers: SIGNERS, ...(now ? { now } : {}), ...(revoke ? { revoke } : {}) });
const x509 = (pem: string) => new X509Certificate(pem);
const leafPems = (pki: DevPki) => [pki.gatewayClient.cert, pki.gatewayServer.cert, ...DEPARTMENTS.map((d) => pki.departments[d]!.cert)];
const serials = (pki: DevPki) => leafPems(pki).map((pem) => x509(pem).serialNumber);

async function listFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true });
  const files: string[] = [];
  for (const name of names) if ((await stat(path.join(dir, name))).isFile()) files.push(name.split(path.sep).join('/'));
  return files.sort();
}

describe('a first generation', () => {
  let dir: string;
  let pki: DevPki;
  const started = new Date();
  beforeAll(async () => {
    dir = await tmpDir();
    pki = await generate(dir);
  });

  it('writes exactly the layout of the contract, private keys readable only by the owner', async () => {
    const secrets = [
      'keys/audit-commitment.key', 'keys/checkpoint-signing.jwk', 'keys/dev-issuer.jwk', 'keys/pseudonym.key', 'keys/warrant-signing.jwk',
      'pki/ca.key', 'pki/departments/natural_resources.key', 'pki/departments/public_security.key',
      'pki/gateway-client.key', 'pki/gateway-server.key', 'units/150627/encryption.jwk', 'units/152900/encryption.jwk',
      'keys/directory-authority.jwk', 'keys/receipts/natural_resources.jwk', 'keys/receipts/public_security.jwk',
      'keys/directory-signers.json', 'users/inv.test/signing.jwk', 'users/appr.test/signing.jwk',
    ];
    const publics = [
      'keys/checkpoint-verifier.jwk', 'keys/dev-issuer-jwks.json', 'keys/warrant-jwks.json', 'pki/ca.crt',
      'pki/departments/natural_resources.crt', 'pki/departments/public_security.crt',
      'pki/gateway-client.crt', 'pki/gateway-server.crt', 'units/150627/encryption.pub.jwk', 'units/152900/encryption.pub.jwk',
      'units/150627/encryption.cert.jws', 'units/152900/encryption.cert.jws',
      'directory/authority.pub.jwk', 'directory/receipts/natural_resources.pub.jwk', 'directory/receipts/public_security.pub.jwk',
      'directory/revocations.jws', 'users/inv.test/signing.cert.jws', 'users/appr.test/signing.cert.jws',
    ];
    expect(await listFiles(dir)).toEqual([...secrets, ...publics].sort());
    for (const f of secrets) expect((await stat(path.join(dir, f))).mode & 0o777, f).toBe(0o600);
    expect(pki.files.every((f) => f.action === 'created')).toBe(true);
    expect(pki.files.map((f) => f.path).sort()).toEqual([...secrets, ...publics].sort());
  });

  it('returns what is on disk', async () => {
    const paths = devPkiPaths(dir);
    expect(pki.dir).toBe(path.resolve(dir));
    expect(pki.caCert).toBe(await readFile(paths.caCert, 'utf8'));
    expect(pki.gatewayClient.key).toBe(await readFile(paths.gatewayClient.key, 'utf8'));
    expect(pki.departments.public_security!.cert).toBe(await readFile(paths.department('public_security').cert, 'utf8'));
    expect(pki.departments.natural_resources!.hostname).toBe('natural-resources.department.qiao.internal');
    expect(Buffer.from(pki.pseudonymKey).toString('base64url')).toBe(await readFile(paths.pseudonymKey, 'utf8'));
    expect(pki.pseudonymKey).toHaveLength(32);
    expect(pki.units['150627']!.privateKeyPath).toBe(paths.unit('150627').privateJwk);
    expect(JSON.parse(await readFile(pki.units['150627']!.privateKeyPath, 'utf8'))).toEqual(pki.units['150627']!.privateJwk);
  });

  it('makes a self-signed CA valid for 10 years', () => {
    const ca = x509(pki.caCert);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(readKey(dir, 'pki/ca.key')))).toBe(true);
    expect(new Date(ca.validTo).getTime() - started.getTime()).toBeGreaterThan(3650 * DAY - DAY);
  });

  it('issues leaves that chain to the CA, with the names and usages each side checks', () => {
    const ca = x509(pki.caCert);
    const expected: Array<[CertOf, string, string, string]> = [
      [pki.gatewayClient, `CN=${GATEWAY_IDENTITY}`, `DNS:${GATEWAY_IDENTITY}`, EKU_CLIENT_AUTH],
      [pki.gatewayServer, 'CN=localhost', 'DNS:localhost, IP Address:127.0.0.1', EKU_SERVER_AUTH],
      ...DEPARTMENTS.map((d): [CertOf, string, string, string] => [pki.departments[d]!, `CN=${departmentHostname(d)}`, `DNS:${departmentHostname(d)}`, EKU_SERVER_AUTH]),
    ];
    for (const [pair, cn, san, eku] of expected) {
      const cert = x509(pair.cert);
      expect(cert.checkIssued(ca), cn).toBe(true);
      expect(cert.verify(ca.publicKey), cn).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(pair.key)), cn).toBe(true);
      expect(cert.ca).toBe(false);
      expect(cert.subject.split('\n')).toContain(cn);
      expect(cert.subjectAltName).toBe(san);
      expect(cert.keyUsage).toEqual([eku]);
      expect(Number.parseInt(cert.serialNumber[0]!, 16)).toBeLessThan(8); // positive
      const from = new Date(cert.validFrom).getTime();
      expect(from).toBeLessThanOrEqual(started.getTime() - 59_000); // a minute of skew allowance
      expect(new Date(cert.validTo).getTime() - from).toBeGreaterThan(365 * DAY);
      expect(new Date(cert.validTo).getTime() - from).toBeLessThan(367 * DAY);
    }
    expect(new Set(serials(pki)).size).toBe(2 + DEPARTMENTS.length);
  });

  it('makes Ed25519 signing JWKs that sign and verify, kid = RFC 7638 thumbprint', async () => {
    for (const { privateJwk, publicJwks } of [pki.warrantKey, pki.issuerKey]) {
      const publicJwk = publicJwks.keys[0]!;
      expect(publicJwks.keys).toHaveLength(1);
      expect(publicJwk).not.toHaveProperty('d');
      expect(privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: publicJwk.kid });
      expect(publicJwk.kid).toBe(await calculateJwkThumbprint(publicJwk));
      const jwt = await new SignJWT({ hello: 'qiao' }).setProtectedHeader({ alg: 'EdDSA', kid: privateJwk.kid! }).sign(await importJWK(privateJwk));
      const { payload } = await jwtVerify(jwt, await importJWK(publicJwk));
      expect(payload.hello).toBe('qiao');
    }
    expect(pki.warrantKey.privateJwk.kid).not.toBe(pki.issuerKey.privateJwk.kid);
  });

  it('makes P-256 unit keys that a result can be encrypted to and decrypted with', async () => {
    for (const code of UNITS) {
      const { privateJwk, publicJwk } = pki.units[code]!;
      expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', use: 'enc', kid: await calculateJwkThumbprint(publicJwk) });
      expect(publicJwk).not.toHaveProperty('d');
      const jwe = await new CompactEncrypt(new TextEncoder().encode(`for ${code}`))
        .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: publicJwk.kid! })
        .encrypt(await importJWK(publicJwk));
      const { plaintext } = await compactDecrypt(jwe, await importJWK(privateJwk));
      expect(new TextDecoder().decode(plaintext)).toBe(`for ${code}`);
    }
    expect(pki.units['150627']!.publicJwk.kid).not.toBe(pki.units['152900']!.publicJwk.kid);
  });

  it('reuses everything on a second call, and tightens a loosened key file', async () => {
    await chmod(path.join(dir, 'pki/ca.key'), 0o644);
    const again = await generate(dir);
    expect(again.files.filter((f) => f.action !== 'reused')).toEqual([]);
    expect(x509(again.caCert).fingerprint256).toBe(x509(pki.caCert).fingerprint256);
    expect(serials(again)).toEqual(serials(pki));
    expect(again.warrantKey).toEqual(pki.warrantKey);
    expect(again.units).toEqual(pki.units);
    expect(again.pseudonymKey).toEqual(pki.pseudonymKey);
    expect((await stat(path.join(dir, 'pki/ca.key'))).mode & 0o777).toBe(0o600);
  });
});

type CertOf = { cert: string; key: string };
const readKey = (dir: string, rel: string) => readFileSync(path.join(dir, rel), 'utf8');

describe('renewal', () => {
  it('regenerates an expired leaf and keeps the CA and the keys', async () => {
    const dir = await tmpDir();
    const old = await generate(dir, new Date(Date.now() - 2 * 365 * DAY));
    const now = await generate(dir);
    expect(x509(now.caCert).fingerprint256).toBe(x509(old.caCert).fingerprint256);
    const replaced = now.files.filter((f) => f.action === 'replaced' && f.path.endsWith('.crt'));
    // The unit key certificates (one year) were issued two years ago too: renewed alongside.
    expect(now.files.filter((f) => f.action === 'replaced' && f.path.endsWith('.cert.jws')).map((f) => f.reason)).toEqual([
      ...Array(UNITS.length).fill('key certificate has expired'),
      ...Array(2).fill('signing-key certificate has expired'),
    ]);
    expect(replaced.map((f) => f.path).sort()).toEqual(
      ['pki/departments/natural_resources.crt', 'pki/departments/public_security.crt', 'pki/gateway-client.crt', 'pki/gateway-server.crt'],
    );
    expect(replaced.every((f) => f.reason?.startsWith('expired'))).toBe(true);
    expect(serials(now).some((s) => serials(old).includes(s))).toBe(false);
    for (const pem of leafPems(now)) {
      expect(x509(pem).verify(x509(now.caCert).publicKey)).toBe(true);
      expect(new Date(x509(pem).validTo).getTime()).toBeGreaterThan(Date.now() + 300 * DAY);
    }
    expect(now.gatewayClient.key).toBe(old.gatewayClient.key);
  });

  it('renews leaves that expire within 7 days', async () => {
    const dir = await tmpDir();
    const first = await generate(dir);
    const later = await generate(dir, new Date(Date.now() + 360 * DAY));
    expect(later.files.filter((f) => f.action === 'replaced').map((f) => f.reason)).toEqual([
      ...Array(4).fill(expect.stringMatching(/^expires within 7 days/)),
      ...Array(UNITS.length).fill('expires within 7 days'),
      ...Array(2).fill('expires within 7 days'),
      'was older than 12 h',
    ]);
    expect(serials(later).some((s) => serials(first).includes(s))).toBe(false);
  });

  it('certifies a signing key per signing user for their unit and signing roles, indexes it, and revokes on request', async () => {
    const dir = await tmpDir();
    const pki = await generate(dir);
    expect(Object.keys(pki.signers).sort()).toEqual(['appr.test', 'inv.test']);
    const inv = pki.signers['inv.test']!;
    const claims = await verifySignerCertificate(inv.certificate, pki.directoryAuthority.publicJwk);
    expect(claims).toMatchObject({ unit: '150627', roles: ['investigator'], kid: inv.privateJwk.kid, key: { x: inv.privateJwk.x } });
    expect(JSON.parse(await readFile(path.join(dir, 'keys/directory-signers.json'), 'utf8'))).toEqual({
      [claims.kid]: 'inv.test',
      [pki.signers['appr.test']!.claims.kid]: 'appr.test',
    });
    expect((await verifyRevocationList(pki.revocationList, { authorityJwk: pki.directoryAuthority.publicJwk })).revoked).toEqual([]);
    const again = await generate(dir, undefined, [claims.kid]);
    expect(again.signers['inv.test']!.certificate).toBe(inv.certificate);
    const list = await verifyRevocationList(again.revocationList, { authorityJwk: pki.directoryAuthority.publicJwk });
    expect(list).toMatchObject({ serial: 2, revoked: [{ kid: claims.kid }] });
  });

  it('regenerates the CA and every leaf when the CA is deleted, keeping the JWKs', async () => {
    const dir = await tmpDir();
    const before = await generate(dir);
    await unlink(path.join(dir, 'pki/ca.crt'));
    const after = await generate(dir);
    const ca = x509(after.caCert);
    expect(ca.fingerprint256).not.toBe(x509(before.caCert).fingerprint256);
    expect(after.files.find((f) => f.path === 'pki/ca.key')).toMatchObject({ action: 'replaced' });
    for (const pem of leafPems(after)) expect(x509(pem).verify(ca.publicKey)).toBe(true);
    for (const pem of leafPems(before)) expect(x509(pem).verify(ca.publicKey)).toBe(false);
    expect(after.warrantKey).toEqual(before.warrantKey);
    expect(after.units).toEqual(before.units);
  });

  it('replaces a leaf issued by another CA', async () => {
    const [dirA, dirB] = [await tmpDir(), await tmpDir()];
    const [a, b] = [await generate(dirA), await generate(dirB)];
    await writeFile(path.join(dirA, 'pki/departments/public_security.crt'), b.departments.public_security!.cert);
    const again = await generate(dirA);
    expect(again.files.find((f) => f.path === 'pki/departments/public_security.crt')).toMatchObject({ action: 'replaced', reason: 'was not issued by the current CA' });
    expect(x509(again.departments.public_security!.cert).verify(x509(a.caCert).publicKey)).toBe(true);
  });

  it('gives two folders two different CAs', async () => {
    const [a, b] = [await generate(await tmpDir()), await generate(await tmpDir())];
    const [caA, caB] = [x509(a.caCert), x509(b.caCert)];
    expect(caA.fingerprint256).not.toBe(caB.fingerprint256);
    expect(caA.subject).not.toBe(caB.subject);
    expect(x509(b.gatewayClient.cert).checkIssued(caA)).toBe(false);
    expect(x509(b.gatewayClient.cert).verify(caA.publicKey)).toBe(false);
    expect(a.warrantKey.privateJwk.kid).not.toBe(b.warrantKey.privateJwk.kid);
  });
});

describe('bad input', () => {
  it.each([
    ['pki/departments/public_security.crt', 'not a certificate'],
    ['pki/gateway-client.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
    ['keys/warrant-signing.jwk', '{"kty":"OKP","crv":"Ed25519","x":"tr'],
    ['units/150627/encryption.jwk', '{"kty":"OKP","crv":"Ed25519","x":"abc","d":"abc"}'],
    ['keys/pseudonym.key', 'short'],
  ])('refuses a corrupt %s, naming it and saying how to regenerate, and leaves it alone', async (rel, garbage) => {
    const dir = await tmpDir();
    await generate(dir);
    await writeFile(path.join(dir, rel), garbage);
    const error = await generate(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevPkiError);
    expect((error as DevPkiError).file).toBe(path.join(dir, rel));
    expect((error as Error).message).toContain(path.join(dir, rel));
    expect((error as Error).message).toMatch(/Delete it \(or the whole .* folder\)/);
    expect(await readFile(path.join(dir, rel), 'utf8')).toBe(garbage);
  });

  it.each([
    ['department name', { departments: ['../etc'], units: [] }, /invalid department name/],
    ['unit code', { departments: [], units: ['../../x'] }, /invalid unit code/],
  ])('rejects an unsafe %s before writing anything', async (_name, input, message) => {
    const dir = await tmpDir();
    await expect(ensureDevPki({ dir, ...input })).rejects.toThrow(message);
    expect(await listFiles(dir)).toEqual([]);
  });
});
