import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { parseCheckpointKey } from '../../proto/audit-log';
import type { EvidenceSources, EvidenceTrust } from '../core/evidence';
import type { EvidenceSource } from '../../proto/evidence';
import { ApprovalRules } from '../../proto/approval-rules';
import { directoryReceiptKeys } from './directory-keys';
import { InputError } from './input-error';

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
    throw new InputError(`cannot read ${what} at ${file}: pass the PKI folder that holds it (--pki-dir, or --trust-dir for verify)`);
  }
}

/**
 * The departments' approval rules, from a folder holding `<department>.json` or, as the demo's
 * adapters/departments/ does, `<department with - for _>/approval-rules.json`.
 */
export async function approvalRulesIn(dir: string): Promise<Record<string, ApprovalRules>> {
  const found: Record<string, ApprovalRules> = {};
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const [department, file] = entry.isDirectory() ? [entry.name.replaceAll('-', '_'), join(dir, entry.name, 'approval-rules.json')] : [entry.name.replace(/\.json$/, ''), join(dir, entry.name)];
    if (!entry.isDirectory() && !entry.name.endsWith('.json')) continue;
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const parsed = ApprovalRules.safeParse(JSON.parse(text));
    if (!parsed.success) throw new InputError(`${file}: not a department's approval rules (${parsed.error.issues[0]!.path.join('.') || '(root)'} ${parsed.error.issues[0]!.message})`);
    found[department] = parsed.data;
  }
  return found;
}

export async function evidenceSources(dir: string, revocationsFile = join(dir, 'directory', 'revocations.jws'), approvalRulesDir?: string): Promise<EvidenceSources> {
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
  return { revocations: (await read(revocationsFile, 'the directory’s revocation list')).trim(), keys, ...(approvalRulesDir ? { approvalRules: await approvalRulesIn(approvalRulesDir) } : {}) };
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

/**
 * A package file read by range (positional reads on one open file), for `verifyEvidence`: the
 * ZIP's central directory, then each member where it lies, never the whole file at once.
 */
export async function openEvidenceFile(file: string): Promise<EvidenceSource & { close(): Promise<void> }> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read the evidence package ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buffer.length) {
        const { bytesRead } = await handle.read(buffer, done, buffer.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buffer.subarray(0, done);
    },
    close: () => handle.close(),
  };
}
