import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import path from 'node:path';
import type { JWK } from 'jose';
import { departmentHostname, GATEWAY_IDENTITY } from '../proto/identity';
import { KEY_CERT_ISSUER, signKeyCertificate, verifyKeyCertificate, type KeyCertificateClaims } from '../proto/key-certificate';
import { PkiFiles, type DevPkiFile } from './files';
import { ensurePrivateJwk, ensurePublicJwk, ensurePublicJwks, ensureSecretBytes, SIGNING_KEY, UNIT_ENCRYPTION_KEY } from './jwk';
import { devPkiPaths, relativeLayout } from './layout';
import { ensureRevocationList, ensureSigners, type DevSigner, type SignerSpec } from './signers';
import { caMaterial, caProblem, generateRsaKeyPem, issueCaCertificate, issueLeafCertificate, leafProblem, type CaMaterial, type LeafProfile } from './x509';

export { DevPkiError, type DevPkiFile } from './files';
export { devPkiPaths, UNIT_CODE, type DevPkiPaths } from './layout';

export interface EnsureDevPkiOptions {
  dir: string;
  departments: string[];
  units: string[];
  /** Users who sign statements or decisions get a personal signing key and certificate (others are skipped). */
  signers?: readonly SignerSpec[];
  /** Key ids to put on the revocation list. */
  revoke?: readonly string[];
  /** The clock for validity checks and new certificates (tests move it). */
  now?: Date;
}

export interface CertAndKey {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

export interface SigningKey {
  privateJwk: JWK;
  publicJwks: { keys: JWK[] };
}

export interface DevPki {
  /** Absolute path of the PKI dir. */
  dir: string;
  caCert: string;
  gatewayClient: CertAndKey;
  gatewayServer: CertAndKey;
  departments: Record<string, CertAndKey & { hostname: string }>;
  warrantKey: SigningKey;
  issuerKey: SigningKey;
  pseudonymKey: Uint8Array;
  checkpointKey: { privateJwk: JWK; publicJwk: JWK };
  auditCommitmentKey: Uint8Array;
  units: Record<string, { privateJwk: JWK; publicJwk: JWK; privateKeyPath: string; keyCertificate: string }>;
  /** Certifies unit keys (not the gateway's key); departments pin `publicJwk`. */
  directoryAuthority: { privateJwk: JWK; publicJwk: JWK };
  /** Each department's receipt signing key; the public half is published in directory/receipts/. */
  receiptKeys: Record<string, { privateJwk: JWK; publicJwk: JWK }>;
  /** Personal signing keys and certificates, by username. */
  signers: Record<string, DevSigner>;
  /** The directory authority's current revocation list (compact JWS). */
  revocationList: string;
  /** What this call created, reused or replaced (beyond the contract; the CLI prints it). */
  files: DevPkiFile[];
}

const L = relativeLayout();

interface Leaf {
  cert: string;
  key: string;
  profile: LeafProfile;
}

interface RsaKey {
  pem: string;
  key: KeyObject;
  fresh: boolean;
}

/**
 * Makes sure the dev PKI in `opts.dir` is complete and valid, and returns it. Existing files are
 * reused while they parse, chain to the current CA and stay valid for 7 more days; missing or
 * invalid ones are generated (a new CA re-issues every leaf). Unparseable files are not
 * overwritten: a DevPkiError names them.
 */
export async function ensureDevPki(opts: EnsureDevPkiOptions): Promise<DevPki> {
  const dir = path.resolve(opts.dir);
  const now = opts.now ?? new Date();
  const departments = [...new Set(opts.departments)];
  const units = [...new Set(opts.units)];
  const paths = devPkiPaths(dir);
  for (const unit of units) paths.unit(unit); // validates before anything is written
  const leaves: Leaf[] = [
    { ...L.gatewayClient, profile: { commonName: GATEWAY_IDENTITY, altNames: [{ dns: GATEWAY_IDENTITY }], extKeyUsage: 'clientAuth' } },
    { ...L.gatewayServer, profile: { commonName: 'localhost', altNames: [{ dns: 'localhost' }, { ip: '127.0.0.1' }], extKeyUsage: 'serverAuth' } },
    ...departments.map((d) => {
      const hostname = departmentHostname(d);
      return { ...L.department(d), profile: { commonName: hostname, altNames: [{ dns: hostname }], extKeyUsage: 'serverAuth' as const } };
    }),
  ];
  const files = new PkiFiles(dir);

  // Key generation (RSA mostly) is the slow part: every independent piece runs at once.
  const [ca, leafKeys, warrantKey, issuerKey, pseudonymKey, unitKeys, checkpointKey, auditCommitmentKey, authority, receiptKeys] = await Promise.all([
    ensureCa(files, now),
    Promise.all(leaves.map((leaf) => ensureRsaKey(files, leaf.key))),
    ensureSigningKey(files, L.warrantSigningJwk, L.warrantJwks),
    ensureSigningKey(files, L.devIssuerJwk, L.devIssuerJwks),
    ensureSecretBytes(files, L.pseudonymKey),
    Promise.all(units.map((u) => ensureUnitKey(files, u))),
    ensurePublishedKey(files, L.checkpointSigningJwk, L.checkpointVerifierJwk),
    ensureSecretBytes(files, L.auditCommitmentKey),
    ensurePublishedKey(files, L.directoryAuthorityJwk, L.directoryAuthorityPublicJwk),
    Promise.all(departments.map((d) => ensurePublishedKey(files, L.receiptKey(d).privateJwk, L.receiptKey(d).publicJwk))),
  ]);
  const certs = await Promise.all(leaves.map((leaf, i) => ensureLeafCert(files, leaf, leafKeys[i]!, ca, now)));
  const keyCerts = await Promise.all(units.map((u, i) => ensureKeyCertificate(files, u, unitKeys[i]!.publicJwk, authority, now)));
  const signers = await ensureSigners(files, opts.signers ?? [], authority, now);
  const revocationList = await ensureRevocationList(files, authority, now, opts.revoke);

  const pair = (i: number): CertAndKey => ({ cert: certs[i]!, key: leafKeys[i]!.pem });
  return {
    dir,
    caCert: ca.certPem,
    gatewayClient: pair(0),
    gatewayServer: pair(1),
    departments: Object.fromEntries(departments.map((d, i) => [d, { ...pair(i + 2), hostname: departmentHostname(d) }])),
    warrantKey,
    issuerKey,
    pseudonymKey,
    checkpointKey,
    auditCommitmentKey,
    units: Object.fromEntries(
      units.map((u, i) => [u, { ...unitKeys[i]!, privateKeyPath: paths.unit(u).privateJwk, keyCertificate: keyCerts[i]! }]),
    ),
    directoryAuthority: authority,
    receiptKeys: Object.fromEntries(departments.map((d, i) => [d, receiptKeys[i]!])),
    signers: Object.fromEntries(signers.map((s) => [s.username, s])),
    revocationList,
    files: files.report,
  };
}

/** The CA cert and key are one thing: if either is missing or the cert is unusable, both are new. */
async function ensureCa(files: PkiFiles, now: Date): Promise<CaMaterial & { fresh: boolean }> {
  const [keyText, certText] = await Promise.all([files.read(L.caKey), files.read(L.caCert)]);
  const key = keyText === undefined ? undefined : parseRsaKey(files, L.caKey, keyText);
  const cert = certText === undefined ? undefined : parseCert(files, L.caCert, certText);
  let reason: string | undefined;
  if (!key || !cert) reason = `${!key ? L.caKey : L.caCert} was missing`;
  else reason = caProblem(cert, key, now);
  if (reason === undefined) {
    await files.keepSecret(L.caKey);
    files.record(L.caKey, 'reused');
    files.record(L.caCert, 'reused');
    return { ...toCaMaterial(files, certText!, keyText!), fresh: false };
  }
  // A new CA gets a new key too, so nothing issued under the old one chains to it.
  const keyPem = await generateRsaKeyPem();
  const certPem = issueCaCertificate(keyPem, createPublicKey(keyPem), now);
  const action = (had: string | undefined) =>
    had === undefined ? ({ action: 'created' } as const) : ({ action: 'replaced', reason: `CA ${reason}` } as const);
  await files.write(L.caKey, keyPem, { secret: true, ...action(keyText) });
  await files.write(L.caCert, certPem, { secret: false, ...action(certText) });
  return { ...caMaterial(certPem, keyPem), fresh: true };
}

async function ensureRsaKey(files: PkiFiles, rel: string): Promise<RsaKey> {
  const text = await files.read(rel);
  if (text !== undefined) {
    const key = parseRsaKey(files, rel, text);
    await files.keepSecret(rel);
    files.record(rel, 'reused');
    return { pem: text, key, fresh: false };
  }
  const pem = await generateRsaKeyPem();
  await files.write(rel, pem, { secret: true, action: 'created' });
  return { pem, key: createPrivateKey(pem), fresh: true };
}

async function ensureLeafCert(files: PkiFiles, leaf: Leaf, key: RsaKey, ca: CaMaterial & { fresh: boolean }, now: Date): Promise<string> {
  const text = await files.read(leaf.cert);
  let reason: string | undefined;
  if (text !== undefined) {
    const cert = parseCert(files, leaf.cert, text);
    if (ca.fresh) reason = 'the CA was regenerated';
    else if (key.fresh) reason = 'its key was regenerated';
    else reason = leafProblem(cert, key.key, ca.x509, leaf.profile, now);
    if (reason === undefined) {
      files.record(leaf.cert, 'reused');
      return text;
    }
  }
  const pem = issueLeafCertificate(ca, createPublicKey(key.key), leaf.profile, now);
  await files.write(leaf.cert, pem, reason === undefined ? { secret: false, action: 'created' } : { secret: false, action: 'replaced', reason });
  return pem;
}

async function ensureSigningKey(files: PkiFiles, privateRel: string, jwksRel: string): Promise<{ privateJwk: JWK; publicJwks: { keys: JWK[] } }> {
  const { privateJwk, publicJwk } = await ensurePrivateJwk(files, privateRel, SIGNING_KEY);
  return { privateJwk, publicJwks: await ensurePublicJwks(files, jwksRel, publicJwk) };
}

/** A signing key whose public half is published in a file of its own (checkpoints, directory, receipts). */
async function ensurePublishedKey(files: PkiFiles, privateRel: string, publicRel: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateJwk, publicJwk } = await ensurePrivateJwk(files, privateRel, SIGNING_KEY);
  return { privateJwk, publicJwk: await ensurePublicJwk(files, publicRel, publicJwk) };
}

const KEY_CERT_DAYS = 365;
const RENEW_BEFORE_DAYS = 7;

/** The unit key certificate: reused while the authority's, for this key, valid 7 more days; else re-issued. */
async function ensureKeyCertificate(files: PkiFiles, unit: string, publicJwk: JWK, authority: { privateJwk: JWK; publicJwk: JWK }, now: Date): Promise<string> {
  const rel = L.unit(unit).keyCertificate;
  const found = (await files.read(rel))?.trim();
  let reason = 'was missing';
  if (found !== undefined) {
    const soon = new Date(now.getTime() + RENEW_BEFORE_DAYS * 86_400_000);
    try {
      await verifyKeyCertificate(found, { unit, key: publicJwk, authorityJwk: authority.publicJwk, now: soon });
      files.record(rel, 'reused');
      return found;
    } catch (err) {
      reason = (err as Error).message;
      const validNow = await verifyKeyCertificate(found, { unit, key: publicJwk, authorityJwk: authority.publicJwk, now }).then(() => true, () => false);
      if (validNow) reason = `expires within ${RENEW_BEFORE_DAYS} days`;
    }
  }
  const iat = Math.floor(now.getTime() / 1000);
  const cert = await signKeyCertificate(
    { iss: KEY_CERT_ISSUER, unit, key: publicJwk as KeyCertificateClaims['key'], iat, exp: iat + KEY_CERT_DAYS * 86_400 },
    authority.privateJwk,
  );
  await files.write(rel, cert, found === undefined ? { secret: false, action: 'created' } : { secret: false, action: 'replaced', reason });
  return cert;
}

async function ensureUnitKey(files: PkiFiles, unit: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const rel = L.unit(unit);
  const { privateJwk, publicJwk } = await ensurePrivateJwk(files, rel.privateJwk, UNIT_ENCRYPTION_KEY);
  return { privateJwk, publicJwk: await ensurePublicJwk(files, rel.publicJwk, publicJwk) };
}

function parseRsaKey(files: PkiFiles, rel: string, text: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (err) {
    throw files.corrupt(rel, `is not a PEM private key (${(err as Error).message})`);
  }
  // node-forge signs only with RSA, so certificate keys must be RSA.
  if (key.asymmetricKeyType !== 'rsa') throw files.corrupt(rel, `holds a ${key.asymmetricKeyType} key, but certificate keys here are RSA`);
  return key;
}

function parseCert(files: PkiFiles, rel: string, text: string): X509Certificate {
  try {
    return new X509Certificate(text);
  } catch (err) {
    throw files.corrupt(rel, `is not a PEM certificate (${(err as Error).message})`);
  }
}

function toCaMaterial(files: PkiFiles, certPem: string, keyPem: string): CaMaterial {
  try {
    return caMaterial(certPem, keyPem);
  } catch (err) {
    throw files.corrupt(L.caCert, `or ${L.caKey} cannot be read by node-forge (${(err as Error).message})`);
  }
}
