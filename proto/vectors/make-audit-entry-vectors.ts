/**
 * Writes proto/vectors/audit-entries-v1.json (one example entry of every action, canonical, with
 * its leaf hash) and the generated reference of the actions in docs/formats.md:
 * `npx tsx proto/vectors/make-audit-entry-vectors.ts`. Run it after changing proto/audit-entry.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { auditLeafHash } from '../audit-log';
import { checkAuditEntry, type AuditEntryShape } from '../audit-entry';
import { canonicalJson } from '../canonical-json';
import { DOC_BEGIN, DOC_END, exampleEntries, renderAuditActions } from './audit-entries';

const entries = await Promise.all(
  exampleEntries().map(async (e) => {
    const checked = checkAuditEntry(e as unknown as AuditEntryShape);
    if (!checked.ok) throw new Error(`example of ${String(e.action)}: ${checked.problem}`);
    const entry = canonicalJson(e);
    return { entry, leafHashHex: Buffer.from(await auditLeafHash(entry)).toString('hex') };
  }),
);
writeFileSync(
  new URL('./audit-entries-v1.json', import.meta.url),
  `${JSON.stringify(
    {
      description:
        'One audit entry of every action (docs/formats.md, "Audit log"). Each `entry` is the exact text a gateway serves: RFC 8785 canonical JSON; `leafHashHex` = SHA-256(0x00 ‖ UTF-8 entry). Its `details` match the action\'s table in docs/formats.md. The commitments are those of proto/vectors/audit-commitment-v1.json.',
      entries,
    },
    null,
    2,
  )}\n`,
);

const doc = new URL('../../docs/formats.md', import.meta.url);
const text = readFileSync(doc, 'utf8');
const [start, end] = [text.indexOf(DOC_BEGIN), text.indexOf(DOC_END)];
if (start < 0 || end < start) throw new Error(`docs/formats.md has no section between ${DOC_BEGIN} and ${DOC_END}`);
writeFileSync(doc, text.slice(0, start) + renderAuditActions(entries.map((e) => e.entry)) + text.slice(end + DOC_END.length));
console.log('wrote audit-entries-v1.json and the actions of docs/formats.md');
