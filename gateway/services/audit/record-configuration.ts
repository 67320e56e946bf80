import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { desc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { auditLogEntries } from '../../db/schema';
import { appendAudit, type AuditAction, type AuditEntry, type AuditWriter } from './append-audit';

/**
 * What a gateway runs by, as the audit log must show it: the policy files (by SHA-256) and the
 * ids of the keys it signs and commits with. At every start the gateway compares them with the
 * last ones logged and appends `policy.changed` / `keys.changed` when they differ (and on the
 * very first start), so a rule or key swapped between two starts is on the record.
 */
export interface GatewayConfiguration {
  /** File name → lowercase hex SHA-256 of its content. */
  policyFiles: Record<string, string>;
  /** Role → key id (warrant signing kid, published warrant kids, checkpoint key, commitment key). */
  keys: Record<string, string>;
}

const POLICY_FILE = /\.(cedar|cedarschema|json)$/;

/** The policy folder's rule files and the catalogue, hashed. */
export async function hashPolicyFiles(policyDir: string, catalogueFile: string): Promise<Record<string, string>> {
  const names = (await readdir(policyDir)).filter((n) => POLICY_FILE.test(n)).sort();
  const files = [...names.map((n) => join(policyDir, n)), catalogueFile];
  const out: Record<string, string> = {};
  for (const file of files) out[basename(file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  return out;
}

/** Appends the entries for what changed since the last start; returns the actions written. */
export async function recordConfiguration(db: Db, current: GatewayConfiguration, writer: AuditWriter): Promise<AuditAction[]> {
  return db.transaction(async (tx) => {
    // Two replicas starting together must not both record the same change.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('qiao/record-configuration'))`);
    const written: AuditAction[] = [];
    const files = await lastLogged(tx, 'policy.changed', 'files');
    if (!files || !sameRecord(files, current.policyFiles)) {
      await appendAudit(tx, { action: 'policy.changed', details: { files: current.policyFiles, ...changes(files, current.policyFiles) } }, writer);
      written.push('policy.changed');
    }
    const keys = await lastLogged(tx, 'keys.changed', 'keys');
    if (!keys || !sameRecord(keys, current.keys)) {
      await appendAudit(tx, { action: 'keys.changed', details: { keys: current.keys, ...changes(keys, current.keys) } }, writer);
      written.push('keys.changed');
    }
    return written;
  });
}

function changes(before: Record<string, string> | null, now: Record<string, string>): Pick<Extract<AuditEntry, { action: 'keys.changed' }>['details'], 'changed' | 'first'> {
  return { changed: Object.keys({ ...before, ...now }).filter((k) => before?.[k] !== now[k]).sort(), first: before === null };
}

async function lastLogged(tx: Tx, action: 'policy.changed' | 'keys.changed', field: 'files' | 'keys'): Promise<Record<string, string> | null> {
  const [row] = await tx
    .select({ entry: auditLogEntries.entry })
    .from(auditLogEntries)
    .where(eq(auditLogEntries.action, action))
    .orderBy(desc(auditLogEntries.idx))
    .limit(1);
  if (!row) return null;
  const details = (JSON.parse(row.entry) as { details?: Record<string, unknown> }).details;
  return (details?.[field] as Record<string, string> | undefined) ?? null;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}
