import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LI, LI_SON_ELDER } from '../adapters/departments/demo-world/world';
import { evidenceSources, evidenceTrust, openEvidenceFile } from '../client/cli/evidence-files';
import { collectEvidenceBytes, verifyEvidence, type EvidenceTrust } from '../client/core/evidence';
import type { ApiClient } from '../client/core/api-client';
import { signRevocationList } from '../proto/revocation-list';
import { decodeJwt } from 'jose';
import { loadApprovalRules } from '../adapters/kit/approval-rules';
import { approvalRulesBytes, approvalRulesDigest, type ApprovalRules } from '../proto/approval-rules';
import { signReceipt, type ReceiptClaims } from '../proto/receipt';
import { signSignerCertificate } from '../proto/signer-certificate';
import { noteSigner, openNote, parseCheckpoint, signCheckpoint } from '../proto/checkpoint';
import { EVIDENCE_MIMETYPE, EvidenceWriter, MANIFEST_PATH, openEvidence, packEvidence, type EvidenceManifest } from '../proto/evidence';
import { bootFederation, type Federation } from './harness/federation';
import { newEd25519PrivateKey } from '../proto/node/keys';

const ORIGIN = 'qiao.gateway/audit-log';
/** The demo departments' rule files, which the federation's adapters apply. */
const RULES_DIR = join(import.meta.dirname, '..', 'adapters', 'departments');
let fed: Federation;
let trust: EvidenceTrust;
let a: Uint8Array;
let b: Uint8Array;
let inquiryA: string;
let auditor: ApiClient;

const dec = new TextDecoder();
/** The package with some of its files replaced, re-packed with a manifest that matches: only the deeper checks can tell. */
function repack(pkg: Uint8Array, change: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const opened = unpack(pkg);
  const files = { ...opened.files };
  change(files);
  return packEvidence(opened.manifest.inquiryId, files, new Date(opened.manifest.createdAt));
}
/** A package's manifest and files, read whole (the packages of these tests are small). */
function unpack(pkg: Uint8Array): { manifest: EvidenceManifest; files: Record<string, Uint8Array> } {
  const files = unzipSync(pkg);
  const manifest = JSON.parse(dec.decode(files[MANIFEST_PATH])) as EvidenceManifest;
  delete files.mimetype;
  delete files[MANIFEST_PATH];
  return { manifest, files };
}
/** The ZIP itself edited, manifest untouched. */
function rezip(pkg: Uint8Array, change: (entries: Record<string, Uint8Array>) => void): Uint8Array {
  const entries = unzipSync(pkg);
  change(entries);
  const zip: Zippable = { mimetype: [entries.mimetype!, { level: 0 }] };
  for (const [name, data] of Object.entries(entries)) if (name !== 'mimetype') zip[name] = data;
  return zipSync(zip);
}
const refusal = async (pkg: Uint8Array) => verifyEvidence(pkg, trust).then(() => 'verified', (e: Error) => e.message);

beforeAll(async () => {
  fed = await bootFederation();
  const categories = ['household', 'subsidies'];
  inquiryA = await fed.runInquiry({ investigator: 'inv.ejinhoro', approvers: ['appr.ordos'], categories, subjects: [{ kind: 'person', id: LI.id }] });
  const inquiryB = await fed.runInquiry({ investigator: 'inv.ejinhoro', approvers: ['appr.ordos'], categories, subjects: [{ kind: 'person', id: LI_SON_ELDER.id }] });
  await fed.drain();
  const investigator = await fed.as('inv.ejinhoro');
  auditor = await fed.as('auditor.region');
  const sources = await evidenceSources(fed.pki.dir, undefined, RULES_DIR);
  a = await collectEvidenceBytes(investigator, auditor, inquiryA, sources);
  b = await collectEvidenceBytes(investigator, auditor, inquiryB, sources);
  trust = await evidenceTrust(fed.pki.dir, ORIGIN);
}, 240_000);
afterAll(() => fed?.close());

describe('an evidence package', () => {
  it('verifies offline with the pinned keys: inquiry, warrants, receipts, ciphertexts, audit entries in a signed checkpoint', async () => {
    const report = await verifyEvidence(a, trust);
    expect(report.inquiry.id).toBe(inquiryA);
    expect(report.results.map((r) => r.department)).toEqual(['finance', 'public_security']);
    expect(report.warrants).toBe(2);
    expect(report.checks).toEqual(['container', 'manifest', 'file-digest', 'inquiry', 'warrant', 'revocations', 'signatures', 'unit-key', 'keys', 'receipt', 'ciphertext', 'approval-rules', 'checkpoint', 'audit-inclusion', 'audit-consistency', 'audit-binding']);
    // Who asked and who approved, by their certified keys.
    expect(report.signatures.investigator).toBe(fed.pki.signers['inv.ejinhoro']!.claims.kid);
    expect(report.signatures.approvers).toEqual([fed.pki.signers['appr.ordos']!.claims.kid]);
    expect(report.latest.size).toBeGreaterThanOrEqual(report.checkpoint.size);
    // The audit trail of the inquiry: submitted, approved, each warrant issued and answered, each result downloaded for the export.
    const actions = (JSON.parse(dec.decode(unpack(a).files['audit/entries.json'])) as { entries: { entry: string }[] }).entries.map((e) => JSON.parse(e.entry).action);
    expect(actions).toEqual(expect.arrayContaining(['inquiry.submitted', 'inquiry.approved', 'warrant.issued', 'department.answered', 'result.downloaded']));
    // A ZIP any tool opens: mimetype first, stored.
    expect(dec.decode(a.subarray(30, 38))).toBe('mimetype');
    expect(dec.decode(unzipSync(a).mimetype!)).toBe(EVIDENCE_MIMETYPE);
  });

  it('is refused when a file is changed, removed or added, naming the check', async () => {
    expect(await refusal(rezip(a, (e) => { e['inquiry.json'] = strToU8(dec.decode(e['inquiry.json']).replace('"approved"', '"rejected"')); }))).toMatch(/^file-digest check failed: inquiry\.json is not the file the manifest names/);
    expect(await refusal(rezip(a, (e) => { delete e['audit/checkpoint.txt']; }))).toBe('manifest check failed: files of the manifest were removed: audit/checkpoint.txt');
    expect(await refusal(rezip(a, (e) => { e['results/bank.bin'] = strToU8('more'); }))).toBe('manifest check failed: files not in the manifest were added: results/bank.bin');
    expect(await refusal(strToU8('not a zip'))).toMatch(/^container check failed/);
  });

  it('is refused when a re-packed file no longer matches what its signer signed', async () => {
    const flipped = repack(a, (f) => { const c = f['results/finance.bin']!.slice(); c[100] = c[100]! ^ 1; f['results/finance.bin'] = c; });
    expect(await refusal(flipped)).toMatch(/^ciphertext check failed: results\/finance\.bin .* is not what finance's receipt signs/);
    const edited = repack(a, (f) => { f['inquiry.json'] = strToU8(dec.decode(f['inquiry.json']).replace(/"caseReference": "[^"]*"/, '"caseReference": "FORGED"')); });
    // The case reference reaches neither warrants nor log in the clear, but the signed statement commits to it with the salt inquiry.json carries.
    expect(await refusal(edited)).toBe('signatures check failed: the case reference of inquiry.json is not the one the statement commits to');
    // What the warrants and the log do carry is bound: legal basis, subjects, categories, approvals.
    const text = (f: Record<string, Uint8Array>) => dec.decode(f['inquiry.json']);
    expect(await refusal(repack(a, (f) => { f['inquiry.json'] = strToU8(text(f).replace(/"legalBasis": "[^"]*"/, '"legalBasis": "another law"')); }))).toMatch(/^warrant check failed: warrant \S+ carries another legal basis than inquiry\.json/);
    expect(await refusal(repack(a, (f) => { f['inquiry.json'] = strToU8(text(f).replace(LI.id, LI_SON_ELDER.id)); }))).toMatch(/^warrant check failed: warrant \S+ names a subject inquiry\.json does not/);
    expect(await refusal(repack(a, (f) => { f['inquiry.json'] = strToU8(text(f).replace('"subsidies"', '"vehicles"')); }))).toMatch(/^warrant check failed: warrant \S+ names a category inquiry\.json does not/);
  });

  it('refuses a proof from another tree and a checkpoint signed by another key', async () => {
    const shuffled = repack(a, (f) => {
      const audit = JSON.parse(dec.decode(f['audit/entries.json'])) as { entries: { proof: string[] }[] };
      const proofs = audit.entries.map((e) => e.proof);
      audit.entries.forEach((e, i) => { e.proof = proofs[(i + 1) % proofs.length]!; });
      f['audit/entries.json'] = strToU8(JSON.stringify(audit));
    });
    expect(await refusal(shuffled)).toMatch(/^audit-inclusion check failed: audit entry \d+: entry \d+ is not in the tree of \d+ entries with this root/);
    const otherTree = repack(a, (f) => { f['audit/checkpoint.txt'] = unpack(b).files['audit/checkpoint.txt']!; });
    expect(await refusal(otherTree)).toMatch(/^audit-inclusion check failed: the proofs are to a tree of \d+ entries, the checkpoint signs \d+/);

    const privateKey = newEd25519PrivateKey();
    const stranger = await noteSigner(ORIGIN, privateKey.export({ format: 'jwk' }) as never);
    const note = dec.decode(unpack(a).files['audit/checkpoint.txt']);
    const body = parseCheckpoint(await openNote(note, trust.checkpointKey));
    const forgedNote = await signCheckpoint(body, stranger);
    expect(await refusal(repack(a, (f) => { f['audit/checkpoint.txt'] = strToU8(forgedNote); }))).toMatch(/^checkpoint check failed: audit\/checkpoint\.txt/);
  });

  it("refuses another answer's receipt, and parts that each verify but belong to another inquiry", async () => {
    const other = unpack(b).files;
    expect(await refusal(repack(a, (f) => { f['results/public_security.json'] = other['results/public_security.json']!; }))).toMatch(
      /^receipt check failed: the answer of public_security names warrant \S+, which is not one of this inquiry's warrants to public_security/,
    );
    expect(await refusal(repack(a, (f) => { f['warrants.json'] = other['warrants.json']!; }))).toMatch(/^warrant check failed: warrants\.json lists the warrants of inquiry \S+, not /);
    const relabelled = repack(a, (f) => { f['warrants.json'] = strToU8(dec.decode(other['warrants.json']!).replace(/"inquiryId": "[^"]+"/, `"inquiryId": "${inquiryA}"`)); });
    expect(await refusal(relabelled)).toMatch(/^warrant check failed: warrant \S+ is for inquiry \S+, not /);
    expect(await refusal(repack(a, (f) => { for (const p of ['audit/entries.json', 'audit/checkpoint.txt', 'audit/latest-checkpoint.txt', 'audit/consistency.json']) f[p] = other[p]!; }))).toMatch(/^audit-binding check failed: audit\/entries\.json holds entries of another inquiry/);
  });
});

describe('the signatures in a package', () => {
  type Decision = { username: string; decision: string; signed: { decision: string; certificate: string } | null };
  const editInquiry = (change: (inquiry: { decisions: Decision[] }) => void) =>
    repack(a, (f) => {
      const inquiry = JSON.parse(dec.decode(f['inquiry.json'])) as { decisions: Decision[] };
      change(inquiry);
      f['inquiry.json'] = strToU8(JSON.stringify(inquiry));
    });

  it('refuses an approval whose signature was altered, or a decision dropped', async () => {
    const altered = editInquiry((i) => {
      const jws = i.decisions[0]!.signed!.decision;
      i.decisions[0]!.signed!.decision = `${jws.slice(0, -6)}${jws.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    });
    expect(await refusal(altered)).toMatch(/^signatures check failed: decision 1 \(appr\.ordos, approve\) of inquiry\.json: /);
    const dropped = editInquiry((i) => { i.decisions = []; });
    expect(await refusal(dropped)).toMatch(/^signatures check failed: warrant \S+ to \S+ carries 1 signed approvals, inquiry\.json shows 0 \(0 of inquiry\.json not in the warrant, 1 of the warrant not in inquiry\.json\)/);
    const unsigned = editInquiry((i) => { i.decisions[0]!.signed = null; });
    expect(await refusal(unsigned)).toBe('signatures check failed: decision 1 (appr.ordos, approve) of inquiry.json is not signed');
  });

  it("refuses an approver's certificate of another unit, though the directory authority signed it", async () => {
    const approver = fed.pki.signers['appr.ordos']!;
    const banner = await signSignerCertificate({ ...approver.claims, unit: '150627' }, fed.pki.directoryAuthority.privateJwk);
    expect(await refusal(editInquiry((i) => { i.decisions[0]!.signed!.certificate = banner; }))).toMatch(
      /^signatures check failed: the approvals of inquiry\.json: signer_wrong_unit: approval 1: key \S+ is certified for unit 150627, not the inquiry's league or region/,
    );
  });

  it('refuses an approver on the revocation list, a list the authority did not sign, and keys that are not the pinned ones', async () => {
    const kid = fed.pki.signers['appr.ordos']!.claims.kid;
    const now = Math.floor(Date.now() / 1000);
    const revoking = await signRevocationList({ iss: 'qiao-directory', iat: now, serial: now, revoked: [{ kid, revoked_at: now }] }, fed.pki.directoryAuthority.privateJwk);
    expect(await refusal(repack(a, (f) => { f['directory/revocations.jws'] = strToU8(revoking); }))).toMatch(new RegExp(`^signatures check failed: decision 1 \\(appr\\.ordos, approve\\) of inquiry\\.json: key ${kid} is on the directory’s revocation list`));
    const privateKey = newEd25519PrivateKey();
    const forged = await signRevocationList({ iss: 'qiao-directory', iat: now, serial: now, revoked: [] }, { ...privateKey.export({ format: 'jwk' }), kid: 'stranger' } as never);
    expect(await refusal(repack(a, (f) => { f['directory/revocations.jws'] = strToU8(forged); }))).toMatch(/^revocations check failed: directory\/revocations\.jws: /);
    const otherKey = JSON.stringify(fed.pki.receiptKeys['public_security']!.publicJwk);
    expect(await refusal(repack(a, (f) => { f['keys/receipts/finance.pub.jwk'] = strToU8(otherKey); }))).toBe(
      'keys check failed: keys/receipts/finance.pub.jwk is not the key pinned here: the package was made against another directory or gateway',
    );
  });
});

describe('the approval rules each department applied', () => {
  const rules = (f: Record<string, Uint8Array>) => JSON.parse(dec.decode(f['approval-rules/finance.json'])) as ApprovalRules;
  it('are carried as the receipt names them, and refused when changed', async () => {
    const files = unpack(a).files;
    const receipt = decodeJwt(JSON.parse(dec.decode(files['results/finance.json'])).receipt as string) as ReceiptClaims;
    expect(receipt.approval_rules).toBe(approvalRulesDigest(await loadApprovalRules(join(RULES_DIR, 'finance', 'approval-rules.json'))));
    expect(rules(files).default).toEqual([{ role: 'approver', at: 'league', count: 1 }]);
    const looser = repack(a, (f) => { f['approval-rules/finance.json'] = approvalRulesBytes({ ...rules(f), $comment: 'another file' }); });
    expect(await refusal(looser)).toMatch(/^approval-rules check failed: approval-rules\/finance\.json \(SHA-256 [0-9a-f]{64}\) is not the rules finance's receipt names/);
    expect(await refusal(repack(a, (f) => { delete f['approval-rules/finance.json']; }))).toMatch(/^approval-rules check failed: the receipt of finance names approval rules [0-9a-f]{64}, and the package has no approval-rules\/finance\.json/);
  });

  it('are refused when the approvals do not meet them, though the receipt signs them', async () => {
    // finance's key signs a receipt naming stricter rules than the one league approver the inquiry had.
    const stricter: ApprovalRules = { default: [{ role: 'approver', at: 'league', count: 1 }, { role: 'regional_approver', at: 'region', count: 1 }], categories: {} };
    const summary = JSON.parse(dec.decode(unpack(a).files['results/finance.json'])) as { receipt: string };
    const signed = await signReceipt({ ...(decodeJwt(summary.receipt) as ReceiptClaims), approval_rules: approvalRulesDigest(stricter) }, fed.pki.receiptKeys['finance']!.privateJwk);
    const unmet = repack(a, (f) => {
      f['results/finance.json'] = strToU8(JSON.stringify({ ...summary, receipt: signed }));
      f['approval-rules/finance.json'] = approvalRulesBytes(stricter);
    });
    expect(await refusal(unmet)).toMatch(/^approval-rules check failed: warrant \S+ to finance does not meet the rules of approval-rules\/finance\.json: they require 1 approver of the league, 1 regional_approver of the region; the warrant carries 1 approval/);
  });
});

describe('the consistency proof to the latest checkpoint', () => {
  const part = (pkg: Uint8Array, path: string) => unpack(pkg).files[path]!;
  it('verifies from the proofs’ checkpoint to a later one, and is refused from another tree size or another log', async () => {
    const from = parseCheckpoint(await openNote(dec.decode(part(a, 'audit/checkpoint.txt')), trust.checkpointKey)).size;
    const later = part(b, 'audit/latest-checkpoint.txt');
    const to = parseCheckpoint(await openNote(dec.decode(later), trust.checkpointKey)).size;
    expect(to).toBeGreaterThan(from);
    const proof = await auditor.consistencyProof({ from, to });
    expect(proof.proof.length).toBeGreaterThan(0);
    const grown = repack(a, (f) => { f['audit/latest-checkpoint.txt'] = later; f['audit/consistency.json'] = strToU8(JSON.stringify(proof)); });
    expect((await verifyEvidence(grown, trust)).latest.size).toBe(to);

    // b's own consistency proof starts at b's tree, not a's.
    expect(await refusal(repack(a, (f) => { f['audit/latest-checkpoint.txt'] = later; f['audit/consistency.json'] = part(b, 'audit/consistency.json'); }))).toMatch(
      new RegExp(`^audit-consistency check failed: audit/consistency\\.json proves \\d+ → ${to} entries, the checkpoints sign ${from} and ${to}`),
    );
    const shorter = await auditor.consistencyProof({ from: from - 1, to });
    expect(await refusal(repack(a, (f) => { f['audit/latest-checkpoint.txt'] = later; f['audit/consistency.json'] = strToU8(JSON.stringify({ ...shorter, from })); }))).toMatch(
      new RegExp(`^audit-consistency check failed: from ${from} to ${to} entries: `),
    );
    const privateKey = newEd25519PrivateKey();
    const stranger = await noteSigner(ORIGIN, privateKey.export({ format: 'jwk' }) as never);
    const otherLog = await signCheckpoint(parseCheckpoint(await openNote(dec.decode(later), trust.checkpointKey)), stranger);
    expect(await refusal(repack(a, (f) => { f['audit/latest-checkpoint.txt'] = strToU8(otherLog); f['audit/consistency.json'] = strToU8(JSON.stringify(proof)); }))).toMatch(/^audit-consistency check failed: audit\/latest-checkpoint\.txt: /);
  });
});

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (error) => reject(new Error(`${command}: ${error.message} (install poppler-utils: .ci/run does)`)));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

describe('qiao evidence export and verify', () => {
  function qiao(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(join(import.meta.dirname, '..', 'qiao'), ['--gateway', fed.gateway.url, '--as', 'inv.ejinhoro', '--pki-dir', fed.pki.dir,
      '--state-dir', join(fed.pki.dir, 'cli-state'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  }

  it('carries report.pdf in a font that covers Chinese, embedded, and leaves it out with --no-pdf', async () => {
    const file = join(fed.pki.dir, 'pdf.qiao-evidence');
    const exported = await qiao(['evidence', 'export', inquiryA, '--out', file, '--audit-as', 'auditor.region']);
    expect(exported.stderr).toBe('');
    const pkg = unpack(new Uint8Array(await readFile(file)));
    expect(pkg.manifest.format).toBe('qiao-evidence-v3');
    // A listed, digested member like every other.
    expect(pkg.manifest.files.map((f) => f.path)).toContain('report.pdf');
    const pdf = join(fed.pki.dir, 'report.pdf');
    await writeFile(pdf, pkg.files['report.pdf']!);
    const text = await run('pdftotext', ['-enc', 'UTF-8', pdf, '-']);
    expect(text).toContain('电子取证 Evidence of inquiry');
    expect(text).toContain('审计日志 Audit log');
    // Long ids wrap inside their table cell; pdftotext joins a line broken at a hyphen without it.
    expect(text.replace(/[\s-]+/g, '')).toContain(inquiryA.replaceAll('-', ''));
    // pdffonts: name, type, encoding, emb, sub, uni — the subset of Noto Sans SC is embedded.
    const fonts = (await run('pdffonts', [pdf])).split('\n').filter((l) => l.includes('NotoSansSC'));
    expect(fonts.length).toBeGreaterThan(0);
    for (const line of fonts) expect(line).toMatch(/\+NotoSansSC-\w+\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
    expect((await qiao(['evidence', 'verify', file])).code).toBe(0);

    const without = join(fed.pki.dir, 'no-pdf.qiao-evidence');
    expect((await qiao(['evidence', 'export', inquiryA, '--out', without, '--audit-as', 'auditor.region', '--no-pdf'])).code).toBe(0);
    expect(Object.keys(unpack(new Uint8Array(await readFile(without))).files)).not.toContain('report.pdf');
  }, 120_000);

  it('writes one file that verifies with the pinned keys, and names the check a tampered copy fails', async () => {
    const file = join(fed.pki.dir, 'case.qiao-evidence');
    const exported = await qiao(['evidence', 'export', inquiryA, '--out', file, '--audit-as', 'auditor.region', '--findings', 'subsidy-after-leaving']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const verified = await qiao(['evidence', 'verify', file]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`evidence of inquiry ${inquiryA} verifies`);
    expect(verified.stdout).toContain('checks passed: container, manifest, file-digest, inquiry, warrant, revocations, signatures, unit-key, keys, receipt, ciphertext, approval-rules, checkpoint, audit-inclusion, audit-consistency, audit-binding\n');
    expect(verified.stdout).toContain('not checked (pass --key with the unit\'s private key): records/finance.ndjson, records/public_security.ndjson');
    const key = join(fed.pki.dir, 'units', '150627', 'encryption.jwk');
    const withKey = await qiao(['evidence', 'verify', file, '--key', key]);
    expect(withKey.stdout).toContain('audit-binding, records\n');
    const files = unpack(new Uint8Array(await readFile(file))).files;
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['report.html', 'findings/subsidy-after-leaving.json', 'records/finance.ndjson']));
    expect(dec.decode(files['report.html'])).toContain('Subsidies paid after the recipient left the household');
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['directory/revocations.jws', 'keys/authority.pub.jwk', 'keys/receipts/finance.pub.jwk', 'audit/latest-checkpoint.txt', 'audit/consistency.json']));
    expect(verified.stdout).toContain(`statement signed by key ${fed.pki.signers['inv.ejinhoro']!.claims.kid}, decisions by ${fed.pki.signers['appr.ordos']!.claims.kid}`);
    expect(dec.decode(files['records/finance.ndjson'])).toContain('"declared_area_mu":356');

    const forgedRecords = join(fed.pki.dir, 'forged-records.qiao-evidence');
    await writeFile(forgedRecords, repack(new Uint8Array(await readFile(file)), (f) => { f['records/finance.ndjson'] = strToU8(dec.decode(f['records/finance.ndjson']).replace('"amount":890', '"amount":89')); }));
    const forged = await qiao(['evidence', 'verify', forgedRecords, '--key', key]);
    expect(forged.code).toBe(4);
    expect(forged.stderr).toContain('records check failed: records/finance.ndjson is not what results/finance.bin decrypts to');

    const tampered = join(fed.pki.dir, 'tampered.qiao-evidence');
    await writeFile(tampered, repack(new Uint8Array(await readFile(file)), (f) => { const c = f['results/public_security.bin']!.slice(); c[0] = c[0]! ^ 1; f['results/public_security.bin'] = c; }));
    const refused = await qiao(['evidence', 'verify', tampered]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/ciphertext check failed: results\/public_security\.bin/);

    // What the person gave that cannot be used: one line saying what and where, no stack.
    const missing = await qiao(['evidence', 'verify', join(fed.pki.dir, 'no-such.qiao-evidence')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`qiao: cannot read the evidence package ${join(fed.pki.dir, 'no-such.qiao-evidence')}: no such file\n`);
    const noTrust = await qiao(['evidence', 'verify', file, '--trust-dir', join(fed.pki.dir, 'no-such-dir')]);
    expect(noTrust.code).toBe(2);
    expect(noTrust.stderr).toMatch(/^qiao: cannot read the gateway’s warrant keys at .*no-such-dir.*: pass the PKI folder that holds it \(--pki-dir, or --trust-dir for verify\)\n$/);
    const nowhere = await qiao(['evidence', 'export', inquiryA, '--out', join(fed.pki.dir, 'no-such-dir', 'x.qiao-evidence'), '--audit-as', 'auditor.region', '--no-pdf']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('qiao: cannot write the evidence package to');
    expect(nowhere.stderr).not.toContain('    at ');
  }, 90_000);
});

describe('the committed fixture packages (tests/fixtures/evidence/, made by make.ts on a throwaway PKI)', () => {
  for (const format of ['qiao-evidence-v2', 'qiao-evidence-v3']) {
    it(`${format} verifies, read by range from its file, with only the public keys beside it`, async () => {
      const dir = join(import.meta.dirname, 'fixtures', 'evidence', format);
      const source = await openEvidenceFile(join(dir, 'case.qiao-evidence'));
      try {
        const report = await verifyEvidence(source, await evidenceTrust(join(dir, 'trust'), ORIGIN));
        expect(report.checks).toEqual(expect.arrayContaining(['container', 'manifest', 'file-digest', 'signatures', 'receipt', 'audit-binding']));
        expect(report.results.map((r) => r.department)).toEqual(['finance', 'public_security']);
      } finally {
        await source.close();
      }
    });
  }
});

describe('reading a package by range', () => {
  it('checks a package with a large ciphertext with a heap far below its size', async () => {
    const file = join(fed.pki.dir, 'large.qiao-evidence');
    const MIB = 1024 * 1024;
    const out = await open(file, 'w');
    const writer = new EvidenceWriter('large', new Date(), async (c) => void (await out.write(c)), () => createHash('sha256'));
    await writer.add('inquiry.json', strToU8('{}'));
    await writer.add('results/bank.bin', (async function* () {
      for (let sent = 0; sent < 160 * MIB; sent += 64 * 1024) yield randomFillSync(new Uint8Array(64 * 1024));
    })());
    const manifest = await writer.finish();
    await out.close();
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
    const source = await openEvidenceFile(file);
    try {
      const opened = await openEvidence(source, () => createHash('sha256'));
      expect(opened.manifest).toEqual(manifest);
      // Checked as it streamed, not kept.
      expect(opened.paths).toContain('results/bank.bin');
      expect(opened.files['results/bank.bin']).toBeUndefined();
    } finally {
      clearInterval(sampler);
      await source.close();
      await rm(file);
    }
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    console.log(`openEvidence of a 160 MiB member by range: heap peak +${((peak - before) / MIB).toFixed(0)} MiB`);
    // A generous bound: the member is 160 MiB; what reading it whole would cost.
    expect(peak - before).toBeLessThan(64 * MIB);
  }, 120_000);
});
