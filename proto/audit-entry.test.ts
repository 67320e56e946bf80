import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, checkAuditEntry } from './audit-entry';
import { auditLeafHash, parseAuditEntry } from './audit-log';
import { canonicalJson } from './canonical-json';
import { DOC_BEGIN, DOC_END, exampleEntries, renderAuditActions } from './vectors/audit-entries';

const vector = JSON.parse(readFileSync(new URL('./vectors/audit-entries-v1.json', import.meta.url), 'utf8')) as { entries: { entry: string; leafHashHex: string }[] };
const formats = readFileSync(new URL('../docs/formats.md', import.meta.url), 'utf8');

describe('audit entries (proto/vectors/audit-entries-v1.json)', () => {
  it('has one canonical, valid entry of every action, with its leaf hash', async () => {
    expect(vector.entries.map((e) => parseAuditEntry(e.entry).action)).toEqual([...AUDIT_ACTIONS]);
    expect(vector.entries.map((e) => e.entry)).toEqual(exampleEntries().map((e) => canonicalJson(e)));
    for (const { entry, leafHashHex } of vector.entries) {
      const checked = checkAuditEntry(parseAuditEntry(entry));
      expect(checked, entry).toMatchObject({ ok: true });
      expect(Buffer.from(await auditLeafHash(entry)).toString('hex')).toBe(leafHashHex);
    }
  });

  it('docs/formats.md lists every action exactly as proto/audit-entry.ts defines it', () => {
    const start = formats.indexOf(DOC_BEGIN);
    const end = formats.indexOf(DOC_END);
    expect(start, 'docs/formats.md has the generated section').toBeGreaterThan(0);
    expect(formats.slice(start, end + DOC_END.length), 'run `npx tsx proto/vectors/make-audit-entry-vectors.ts` after changing proto/audit-entry.ts').toBe(
      renderAuditActions(vector.entries.map((e) => e.entry)),
    );
  });
});

describe('checkAuditEntry', () => {
  const example = (action: string) => JSON.parse(vector.entries.find((e) => e.entry.includes(`"action":"${action}"`))!.entry) as Record<string, unknown>;
  const problemOf = (entry: Record<string, unknown>) => {
    const checked = checkAuditEntry(entry as never);
    return checked.ok ? null : checked.problem;
  };

  it('names what is wrong: a member the action does not have, a wrong type, a missing member', () => {
    const issued = example('warrant.issued');
    const details = issued.details as Record<string, unknown>;
    expect(problemOf({ ...issued, details: { ...details, jti: 'x' } })).toBe('the details of warrant.issued do not match its format (details: Unrecognized key: "jti")');
    expect(problemOf({ ...issued, details: { ...details, attempt: '1' } })).toMatch(/^the details of warrant\.issued do not match its format \(details\.attempt: /);
    const { sha256: _, ...withoutDigest } = details;
    expect(problemOf({ ...issued, details: withoutDigest })).toMatch(/details\.sha256: /);
  });

  it('holds each action to who does it and whether it names an inquiry', () => {
    expect(problemOf({ ...example('result.downloaded'), actor: undefined })).toBe('result.downloaded has no actor: a user does this');
    expect(problemOf({ ...example('warrant.issued'), actor: { userId: 'u', unitId: '150627' } })).toBe('warrant.issued has an actor: only the gateway itself does this');
    expect(problemOf({ ...example('department.answered'), inquiryId: undefined })).toBe('department.answered has no inquiryId');
    expect(problemOf({ ...example('keys.changed'), inquiryId: '5d2c8f0e-7a41-4b9c-8e3f-1c2d3e4f5a6b' })).toBe('keys.changed names an inquiry, which it never concerns');
    expect(problemOf({ ...example('keys.changed'), action: 'keys.rotated' })).toBe('unknown action "keys.rotated"');
  });
});
