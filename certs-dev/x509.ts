import { generateKeyPair, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates expiring within this window are renewed ahead of time. */
export const RENEW_WITHIN_MS = 7 * DAY_MS;
/** notBefore lies this far in the past, so a peer whose clock is slightly behind accepts a fresh cert. */
const CLOCK_SKEW_MS = 60 * 1000;
const ORGANIZATION = 'Qiao development (not for production)';

export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** A subject alternative name of a leaf: node-forge's form for writing, node's string form for checking. */
export type SubjectAltName = { dns: string } | { ip: string };

export interface LeafProfile {
  commonName: string;
  altNames: SubjectAltName[];
  extKeyUsage: 'serverAuth' | 'clientAuth';
}

/** The CA as needed for issuing: forge objects for signing, node's for verifying. */
export interface CaMaterial {
  certPem: string;
  x509: X509Certificate;
  forgeCert: forge.pki.Certificate;
  forgeKey: forge.pki.rsa.PrivateKey;
}

/**
 * RSA because node-forge signs only with RSA. PKCS#8 PEM, which node, grpc-js and forge all read.
 * The job encodes the PEM itself and hands back strings, so no KeyObject of it is ever exported:
 * not the Node 20 deadlock of proto/node/keys.ts.
 */
export async function generateRsaKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return privateKey;
}

export function caMaterial(certPem: string, keyPem: string): CaMaterial {
  return {
    certPem,
    x509: new X509Certificate(certPem),
    forgeCert: forge.pki.certificateFromPem(certPem),
    forgeKey: forge.pki.privateKeyFromPem(keyPem),
  };
}

export function issueCaCertificate(keyPem: string, publicKey: KeyObject, now: Date): string {
  const cert = baseCertificate(publicKey, now, addYears(now, 10));
  // A random suffix keeps CAs of different dev folders apart by name too, so a cert from another
  // folder fails as "unknown issuer" rather than as a puzzling signature error.
  const subject = [
    { name: 'commonName', value: `Qiao Dev Root CA ${randomBytes(4).toString('hex')}` },
    { name: 'organizationName', value: ORGANIZATION },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export function issueLeafCertificate(ca: CaMaterial, publicKey: KeyObject, profile: LeafProfile, now: Date): string {
  const cert = baseCertificate(publicKey, now, addYears(now, 1));
  cert.setSubject([
    { name: 'commonName', value: profile.commonName },
    { name: 'organizationName', value: ORGANIZATION },
  ]);
  cert.setIssuer(ca.forgeCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', [profile.extKeyUsage]: true },
    { name: 'subjectAltName', altNames: profile.altNames.map((n) => ('dns' in n ? { type: 2, value: n.dns } : { type: 7, ip: n.ip })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId(ca.forgeCert) },
  ]);
  cert.sign(ca.forgeKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Why an existing CA cannot be kept, or undefined when it can. */
export function caProblem(x509: X509Certificate, key: KeyObject, now: Date): string | undefined {
  if (!x509.ca) return 'is not a CA certificate';
  if (!x509.checkPrivateKey(key)) return 'does not match pki/ca.key';
  if (!x509.verify(x509.publicKey)) return 'is not self-signed';
  return validityProblem(x509, now);
}

/** Why an existing leaf cannot be kept, or undefined when it can. */
export function leafProblem(x509: X509Certificate, key: KeyObject, ca: X509Certificate, profile: LeafProfile, now: Date): string | undefined {
  if (!x509.checkIssued(ca) || !x509.verify(ca.publicKey)) return 'was not issued by the current CA';
  if (!x509.checkPrivateKey(key)) return 'does not match its key';
  if (x509.subjectAltName !== altNamesText(profile.altNames)) return `names ${x509.subjectAltName ?? 'nothing'}, expected ${altNamesText(profile.altNames)}`;
  const eku = profile.extKeyUsage === 'serverAuth' ? EKU_SERVER_AUTH : EKU_CLIENT_AUTH;
  if (x509.keyUsage?.length !== 1 || x509.keyUsage[0] !== eku) return `has extended key usage ${x509.keyUsage?.join(',') ?? 'none'}, expected ${profile.extKeyUsage}`;
  return validityProblem(x509, now);
}

function validityProblem(x509: X509Certificate, now: Date): string | undefined {
  const from = new Date(x509.validFrom).getTime();
  const to = new Date(x509.validTo).getTime();
  if (from > now.getTime() + CLOCK_SKEW_MS) return `is not valid yet (from ${x509.validFrom})`;
  if (to <= now.getTime()) return `expired on ${x509.validTo}`;
  if (to - now.getTime() < RENEW_WITHIN_MS) return `expires within 7 days (${x509.validTo})`;
  return undefined;
}

/** The text form node's X509Certificate#subjectAltName gives for these names. */
function altNamesText(names: SubjectAltName[]): string {
  return names.map((n) => ('dns' in n ? `DNS:${n.dns}` : `IP Address:${n.ip}`)).join(', ');
}

function baseCertificate(publicKey: KeyObject, notBefore: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(notBefore.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = notAfter;
  return cert;
}

/** 128 random bits, first byte 0x01–0x7f: positive and minimally DER-encoded as forge writes it verbatim. */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}

/** The CA's own subjectKeyIdentifier (binary string, as forge wants it), so AKI and SKI always agree. */
function authorityKeyId(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  return ski?.subjectKeyIdentifier ? forge.util.hexToBytes(ski.subjectKeyIdentifier) : caCert.generateSubjectKeyIdentifier().getBytes();
}

function addYears(date: Date, years: number): Date {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}
