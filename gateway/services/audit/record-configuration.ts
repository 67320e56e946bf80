import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { desc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { auditLogEntries } from '../../db/schema';
import { appendAudit, type AuditAction } from './append-audit';

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
export async function recordConfiguration(db: Db, current: GatewayConfiguration): Promise<AuditAction[]> {
  return db.transaction(async (tx) => {
    // Two replicas starting together must not both record the same change.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('qiao/record-configuration'))`);
    const written: AuditAction[] = [];
    const changes: [AuditAction, string, Record<string, string>][] = [
      ['policy.changed', 'files', current.policyFiles],
      ['keys.changed', 'keys', current.keys],
    ];
    for (const [action, field, now] of changes) {
      const before = await lastLogged(tx, action, field);
      if (before && sameRecord(before, now)) continue;
      const changed = Object.keys({ ...before, ...now }).filter((k) => before?.[k] !== now[k]).sort();
      await appendAudit(tx, { action, details: { [field]: now, changed, first: before === null } });
      written.push(action);
    }
    return written;
  });
}

async function lastLogged(tx: Tx, action: AuditAction, field: string): Promise<Record<string, string> | null> {
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
