import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { parseCheckpointKey } from '../../proto/audit-log';
import type { EvidenceSources, EvidenceTrust } from '../core/evidence';
import { directoryReceiptKeys } from './directory-keys';

/**
 * Where the command line finds what an evidence package needs from this machine: on export the
 * revocation list and the public keys the package carries, on verify the pinned keys. Both read
 * the PKI folder's layout (certs-dev/layout.ts): `keys/warrant-jwks.json`,
 * `keys/checkpoint-verifier.jwk`, `directory/authority.pub.jwk`, `directory/receipts/`,
 * `directory/revocations.jws`.
 */

async function read(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new Error(`cannot read ${what} at ${file}: pass the PKI folder that holds it (--pki-dir, or --trust-dir for verify)`);
  }
}

export async function evidenceSources(dir: string, revocationsFile = join(dir, 'directory', 'revocations.jws')): Promise<EvidenceSources> {
  const enc = new TextEncoder();
  const keys: Record<string, Uint8Array> = {
    'authority.pub.jwk': enc.encode(await read(join(dir, 'directory', 'authority.pub.jwk'), 'the directory authority key')),
    'warrant-jwks.json': enc.encode(await read(join(dir, 'keys', 'warrant-jwks.json'), 'the gateway’s warrant keys')),
    'checkpoint-verifier.jwk': enc.encode(await read(join(dir, 'keys', 'checkpoint-verifier.jwk'), 'the checkpoint key')),
  };
  const receipts = join(dir, 'directory', 'receipts');
  for (const name of (await readdir(receipts).catch(() => [])).filter((n) => n.endsWith('.pub.jwk')).sort()) {
    keys[`receipts/${name}`] = enc.encode(await read(join(receipts, name), 'a receipt key'));
  }
  return { revocations: (await read(revocationsFile, 'the directory’s revocation list')).trim(), keys };
}

export async function evidenceTrust(dir: string, origin: string): Promise<EvidenceTrust> {
  return {
    warrantKeys: (JSON.parse(await read(join(dir, 'keys', 'warrant-jwks.json'), 'the gateway’s warrant keys')) as { keys: JWK[] }).keys,
    receiptKeys: directoryReceiptKeys(join(dir, 'directory')),
    authorityJwk: JSON.parse(await read(join(dir, 'directory', 'authority.pub.jwk'), 'the directory authority key')) as JWK,
    checkpointKey: parseCheckpointKey(await read(join(dir, 'keys', 'checkpoint-verifier.jwk'), 'the checkpoint key'), origin),
    origin,
  };
}
