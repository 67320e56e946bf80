import path from 'node:path';
import { departmentHostname } from '../proto/identity';

/**
 * Unit codes become folder names, so they are held to a safe alphabet (GB/T 2260 codes such as
 * `150627` and test ids alike), never `..` or a path separator.
 */
export const UNIT_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface CertKeyPaths {
  cert: string;
  key: string;
}

/** Where each file of a dev PKI lives. The layout is the contract with the processes that read it. */
export interface DevPkiPaths {
  dir: string;
  caCert: string;
  caKey: string;
  gatewayClient: CertKeyPaths;
  gatewayServer: CertKeyPaths;
  department(department: string): CertKeyPaths;
  warrantSigningJwk: string;
  warrantJwks: string;
  devIssuerJwk: string;
  devIssuerJwks: string;
  pseudonymKey: string;
  /** Ed25519 key that signs the audit log's checkpoints, and its public half (what auditors pin). */
  checkpointSigningJwk: string;
  checkpointVerifierJwk: string;
  /** HMAC key of the audit log's commitments to subject ids and case references. */
  auditCommitmentKey: string;
  unit(unitCode: string): { privateJwk: string; publicJwk: string; keyCertificate: string };
  /** The directory authority: certifies unit keys; not the gateway's key. */
  directoryAuthorityJwk: string;
  /** What the directory publishes (departments and the command line read it, never the gateway's copy). */
  directoryAuthorityPublicJwk: string;
  receiptKey(department: string): { privateJwk: string; publicJwk: string };
  /** A demo user's personal signing key (theirs alone: the gateway never reads it) and its certificate. */
  signer(username: string): { privateJwk: string; certificate: string };
  /** The directory's oversight index, key id → username: the authority's, never published. */
  signerIndex: string;
  /** The authority's signed list of revoked signing keys (what departments fetch). */
  revocationList: string;
}

/** Usernames become folder names too. */
export const USERNAME = /^[a-z][a-z0-9._-]{0,63}$/;

/** Absolute paths of the files of the dev PKI in `dir` (nothing is read or written). */
export function devPkiPaths(dir: string): DevPkiPaths {
  const root = path.resolve(dir);
  return layoutUnder(root, (rel) => path.join(root, ...rel.split('/')));
}

/** The same layout as paths relative to the PKI dir, with forward slashes (as reported). */
export function relativeLayout(): DevPkiPaths {
  return layoutUnder('.', (rel) => rel);
}

function layoutUnder(dir: string, at: (rel: string) => string): DevPkiPaths {
  return {
    dir,
    caCert: at('pki/ca.crt'),
    caKey: at('pki/ca.key'),
    gatewayClient: { cert: at('pki/gateway-client.crt'), key: at('pki/gateway-client.key') },
    gatewayServer: { cert: at('pki/gateway-server.crt'), key: at('pki/gateway-server.key') },
    department(department) {
      departmentHostname(department); // throws on a name that is not a department's
      return { cert: at(`pki/departments/${department}.crt`), key: at(`pki/departments/${department}.key`) };
    },
    warrantSigningJwk: at('keys/warrant-signing.jwk'),
    warrantJwks: at('keys/warrant-jwks.json'),
    devIssuerJwk: at('keys/dev-issuer.jwk'),
    devIssuerJwks: at('keys/dev-issuer-jwks.json'),
    pseudonymKey: at('keys/pseudonym.key'),
    checkpointSigningJwk: at('keys/checkpoint-signing.jwk'),
    checkpointVerifierJwk: at('keys/checkpoint-verifier.jwk'),
    auditCommitmentKey: at('keys/audit-commitment.key'),
    unit(unitCode) {
      if (!UNIT_CODE.test(unitCode)) throw new Error(`invalid unit code ${JSON.stringify(unitCode)}`);
      return {
        privateJwk: at(`units/${unitCode}/encryption.jwk`),
        publicJwk: at(`units/${unitCode}/encryption.pub.jwk`),
        keyCertificate: at(`units/${unitCode}/encryption.cert.jws`),
      };
    },
    directoryAuthorityJwk: at('keys/directory-authority.jwk'),
    directoryAuthorityPublicJwk: at('directory/authority.pub.jwk'),
    receiptKey(department) {
      departmentHostname(department);
      return { privateJwk: at(`keys/receipts/${department}.jwk`), publicJwk: at(`directory/receipts/${department}.pub.jwk`) };
    },
    signer(username) {
      if (!USERNAME.test(username) || username.includes('..')) throw new Error(`invalid username ${JSON.stringify(username)}`);
      return { privateJwk: at(`users/${username}/signing.jwk`), certificate: at(`users/${username}/signing.cert.jws`) };
    },
    signerIndex: at('keys/directory-signers.json'),
    revocationList: at('directory/revocations.jws'),
  };
}
