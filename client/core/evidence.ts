import type { JWK } from 'jose';
import { decodeJwt } from 'jose';
import { InquiryWarrants, type IssuedWarrant } from '../../proto/api/warrants';
import { InquiryView } from '../../proto/api/inquiries';
import { ResultSummary } from '../../proto/api/results';
import { auditLeafHash, ConsistencyProofAnswer, decodeProof, parseAuditEntry, type AuditLogEntry } from '../../proto/audit-log';
import { listEntries } from '../../proto/audit-client';
import { concatBytes, encodeHex } from '../../proto/bytes';
import { openCheckpoint, type Checkpoint, type NoteVerifier } from '../../proto/checkpoint';
import { EvidenceError, EvidenceWriter, openEvidence, type EvidenceManifest, type EvidenceSource, type OpenedEvidence } from '../../proto/evidence';
import { sha256, type CreateSha256 } from '../../proto/hash';
import { verifyConsistency, verifyInclusion } from '../../proto/merkle';
import { verifyReceipt, type ReceiptClaims } from '../../proto/receipt';
import { approvalRulesBytes, approvalRulesDigest, type ApprovalRules } from '../../proto/approval-rules';
import { isResultFormat, NdjsonReader, ResultDecryptor } from '../../proto/result-envelope';
import { verifyWarrant, type WarrantClaims } from '../../proto/warrant';
import type { ApiClient } from './api-client';
import { renderEvidenceReport, type EvidenceReportInput } from './evidence-report';
import { checkCarriedKeys } from './evidence-keys';
import { checkApprovalRulesCarried } from './evidence-rules';
import { checkRevocations, checkSignatures, checkUnitKey, type SignatureReport } from './evidence-signatures';
import type { Finding, SourcedRecord } from './models';
import type { ReceiptKeyLookup } from './results';

/**
 * Evidence packages (电子取证): `collectEvidence` gathers an inquiry's evidence from the gateway
 * into a package (proto/evidence.ts); `verifyEvidence` checks a package offline with only the
 * verifier's pinned keys — the gateway's warrant keys, the departments' receipt keys from the
 * directory, the audit log's checkpoint key — and throws an EvidenceError naming the first check
 * that fails. Layout and checks: docs/formats.md, "Evidence package".
 */

const enc = new TextEncoder();
const json = (value: unknown) => enc.encode(`${JSON.stringify(value, null, 2)}\n`);

async function* chunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value;
  } finally {
    reader.releaseLock();
  }
}

export interface EvidenceSources {
  /** The directory authority's signed revocation list as of the export (what departments fetch). */
  revocations: string;
  /**
   * The public keys the package was made with, carried under keys/ so an outsider sees what to
   * pin: `authority.pub.jwk`, `warrant-jwks.json`, `checkpoint-verifier.jwk`,
   * `receipts/<department>.pub.jwk`. The verifier compares them with its own pinned copies.
   */
  keys: Record<string, Uint8Array>;
  /**
   * Each department's approval rules (its adapter's rule file), carried as
   * `approval-rules/<department>.json` for every answer whose receipt names them.
   */
  approvalRules?: Record<string, ApprovalRules>;
}

/**
 * Everything about one inquiry, written as a package to `sink` chunk by chunk (a ciphertext
 * passes through, never held whole). `api` is the requesting unit's investigator (the inquiry,
 * warrants, results); `auditApi` one who reads the audit log and may ask for a fresh checkpoint
 * (an auditor), taken after the downloads so that it covers every entry of the inquiry, then
 * another one and the consistency proof between the two. `records` and `findings` add files on
 * request (decrypted records, comparison findings), `renderPdf` the printable `report.pdf`.
 */
export async function collectEvidence(
  api: ApiClient,
  auditApi: ApiClient,
  inquiryId: string,
  sink: (chunk: Uint8Array) => Promise<void>,
  sources: EvidenceSources,
  options: {
    records?: SourcedRecord[];
    findings?: { model: string; title: string; findings: Finding[] }[];
    now?: Date;
    createSha256?: CreateSha256;
    /** Renders `report.pdf` (client/cli/evidence-pdf.ts, Node only); without it the package has the HTML report only. */
    renderPdf?: (report: EvidenceReportInput) => Promise<Uint8Array>;
  } = {},
): Promise<EvidenceManifest> {
  const now = options.now ?? new Date();
  const out = new EvidenceWriter(inquiryId, now, sink, options.createSha256);
  const inquiry = await api.getInquiry(inquiryId);
  await out.add('inquiry.json', json(inquiry));
  const warrants = await api.listWarrants(inquiryId);
  await out.add('warrants.json', json(warrants));
  const listing = await api.listResults(inquiryId);
  const answered = listing.results.filter((r) => r.status === 'succeeded');
  for (const summary of answered) {
    await out.add(`results/${summary.department}.json`, json(summary));
    await out.add(`results/${summary.department}.bin`, chunks((await api.downloadResult(inquiryId, summary.department)).body));
    const claimed = summary.receipt ? (decodeJwt(summary.receipt) as Partial<ReceiptClaims>).approval_rules : undefined;
    if (claimed) {
      const rules = sources.approvalRules?.[summary.department];
      if (!rules) throw new Error(`the receipt of ${summary.department} names the approval rules it applied (SHA-256 ${claimed}); pass the folder of the departments' rule files (--approval-rules) so the package carries them`);
      if (approvalRulesDigest(rules) !== claimed) throw new Error(`the approval rules of ${summary.department} given here (SHA-256 ${approvalRulesDigest(rules)}) are not those its receipt names (${claimed}): pass the rule file the department applied`);
      await out.add(`approval-rules/${summary.department}.json`, approvalRulesBytes(rules));
    }
  }
  await auditApi.signCheckpoint();
  const cp = await auditApi.auditCheckpoint();
  const entries: { index: number; entry: string; proof: string[] }[] = [];
  for await (const e of listEntries(auditApi.getJson, { end: cp.size })) {
    if (parseAuditEntry(e.entry).inquiryId !== inquiryId) continue;
    entries.push({ ...e, proof: (await auditApi.inclusionProof({ index: e.index, size: cp.size })).proof });
  }
  await out.add('audit/checkpoint.txt', enc.encode(cp.checkpoint));
  await out.add('audit/entries.json', json({ size: cp.size, entries }));
  // The latest checkpoint when the export ends, and the proof that the log grew from the proofs' tree to it without rewriting it.
  await auditApi.signCheckpoint();
  const latest = await auditApi.auditCheckpoint();
  await out.add('audit/latest-checkpoint.txt', enc.encode(latest.checkpoint));
  await out.add('audit/consistency.json', json(await auditApi.consistencyProof({ from: cp.size, to: latest.size })));
  await out.add('directory/revocations.jws', enc.encode(sources.revocations));
  for (const [path, bytes] of Object.entries(sources.keys)) await out.add(`keys/${path}`, bytes);
  // On request: the records as decrypted here (checked against the ciphertext by `verify --key`), and comparison findings.
  for (const summary of answered) {
    const own = options.records?.filter((r) => r.inquiryId === inquiryId && r.department === summary.department);
    if (own) await out.add(`records/${summary.department}.ndjson`, enc.encode(own.map((r) => `${JSON.stringify(r.record)}\n`).join('')));
  }
  for (const f of options.findings ?? []) await out.add(`findings/${f.model}.json`, json({ model: f.model, title: f.title, findings: f.findings }));
  const actions = entries.map((e) => ({ index: e.index, ...(({ action, at }) => ({ action, at }))(parseAuditEntry(e.entry)) }));
  const report: EvidenceReportInput = { inquiry, warrants: warrants.warrants, results: answered, audit: { size: cp.size, latest: latest.size, actions }, ...(options.findings ? { findings: options.findings } : {}), createdAt: now };
  await out.add('report.html', enc.encode(renderEvidenceReport(report)));
  if (options.renderPdf) await out.add('report.pdf', await options.renderPdf(report));
  return out.finish();
}

/** collectEvidence into one array: for packages that fit in memory (tests, small inquiries). */
export async function collectEvidenceBytes(...args: [ApiClient, ApiClient, string, EvidenceSources, Parameters<typeof collectEvidence>[5]?]): Promise<Uint8Array> {
  const [api, auditApi, inquiryId, sources, options] = args;
  const parts: Uint8Array[] = [];
  await collectEvidence(api, auditApi, inquiryId, async (c) => void parts.push(c), sources, options);
  return concatBytes(parts);
}

async function* decryptChunks(chunks: AsyncIterable<Uint8Array>, decryptor: ResultDecryptor): AsyncIterable<Uint8Array> {
  for await (const chunk of chunks) yield* await decryptor.push(chunk);
  yield* await decryptor.finish();
}

/** NDJSON records in a canonical text (JSON.stringify of the parsed record), one at a time. */
async function* ndjsonRecords(chunks: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const reader = new NdjsonReader();
  for await (const chunk of chunks) for (const record of reader.push(chunk)) yield JSON.stringify(record);
  reader.end();
}

export interface EvidenceTrust {
  /** The gateway's public warrant keys (pinned, e.g. <pki>/keys/warrant-jwks.json). */
  warrantKeys: JWK[];
  /** The departments' receipt keys as the directory publishes them. */
  receiptKeys: ReceiptKeyLookup;
  /** The pinned directory authority key: it certified the signing keys of the statement and decisions and the unit's encryption key. */
  authorityJwk: JWK;
  /** The audit log's checkpoint key and the log's name. */
  checkpointKey: NoteVerifier;
  origin: string;
  /** The unit's private key: with it, records in the package are checked against the ciphertext they were decrypted from. */
  unitKey?: JWK;
  /** node:crypto's in Node: the digest of every member is taken as it streams. */
  createSha256?: CreateSha256;
}

export interface EvidenceReport {
  inquiry: InquiryView;
  checkpoint: Checkpoint;
  /** The latest checkpoint at the export, proved consistent with `checkpoint`. */
  latest: Checkpoint;
  /** Key ids of the statement's signer and of each decision's (docs/formats.md, "Signing-key certificate"). */
  signatures: SignatureReport;
  revocations: { serial: number; issuedAt: number };
  warrants: number;
  results: { department: string; records: number; bytes: number }[];
  auditEntries: number;
  /** Every check passed, in order. */
  checks: string[];
  /** Parts present but not checked (records without the unit key, an answer whose receipt names no approval rules). */
  unchecked: string[];
}

function parse<T>(check: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof EvidenceError) throw error;
    throw new EvidenceError(check, `${what}: ${(error as Error).message.slice(0, 300)}`);
  }
}

async function attempt<T>(check: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof EvidenceError) throw error;
    throw new EvidenceError(check, `${what}: ${(error as Error).message.slice(0, 300)}`);
  }
}

/**
 * Checks a package, read by range from `source` (a file: client/cli/evidence-files.ts), so that
 * memory stays flat whatever the size of its ciphertexts; or from bytes in memory.
 */
export async function verifyEvidence(source: Uint8Array | EvidenceSource, trust: EvidenceTrust): Promise<EvidenceReport> {
  const pkg = await openEvidence(source, trust.createSha256);
  try {
    return await verifyOpened(pkg, trust);
  } finally {
    await pkg.close();
  }
}

async function verifyOpened(pkg: OpenedEvidence, trust: EvidenceTrust): Promise<EvidenceReport> {
  const checks = ['container', 'manifest', 'file-digest'];
  const inquiry = parse('inquiry', 'inquiry.json', () => InquiryView.parse(JSON.parse(pkg.text('inquiry.json'))));
  if (inquiry.id !== pkg.manifest.inquiryId) throw new EvidenceError('inquiry', `inquiry.json is inquiry ${inquiry.id}, the manifest names ${pkg.manifest.inquiryId}`);
  checks.push('inquiry');

  // Warrants: signed by the pinned gateway key, for this inquiry, each to its department.
  const warrantList = parse('warrant', 'warrants.json', () => InquiryWarrants.parse(JSON.parse(pkg.text('warrants.json'))));
  if (warrantList.inquiryId !== inquiry.id) throw new EvidenceError('warrant', `warrants.json lists the warrants of inquiry ${warrantList.inquiryId}, not ${inquiry.id}`);
  const warrants = new Map<string, { issued: IssuedWarrant; claims: WarrantClaims }>();
  for (const issued of warrantList.warrants) {
    const unverified = parse('warrant', `warrant ${issued.warrantId}`, () => decodeJwt(issued.warrant));
    // Checked as of its own issue: a warrant in evidence has long expired, its signature has not.
    const claims = await attempt('warrant', `warrant ${issued.warrantId} of ${issued.department}`, () =>
      verifyWarrant(issued.warrant, { keys: trust.warrantKeys, audience: issued.department, now: new Date(Number(unverified.nbf ?? unverified.iat) * 1000) }));
    if (claims.inquiry_id !== inquiry.id) throw new EvidenceError('warrant', `warrant ${claims.jti} is for inquiry ${claims.inquiry_id}, not ${inquiry.id}`);
    if (claims.jti !== issued.warrantId) throw new EvidenceError('warrant', `warrant ${issued.warrantId} carries the id ${claims.jti}`);
    if (encodeHex(sha256(issued.warrant)) !== issued.sha256) throw new EvidenceError('warrant', `warrant ${issued.warrantId}: its SHA-256 is not the listed one`);
    // What the gateway signed is what inquiry.json says was asked: legal basis, unit, subjects, categories.
    const asked = new Set(inquiry.subjects.map((x) => x.id));
    if (claims.legal_basis !== inquiry.legalBasis) throw new EvidenceError('warrant', `warrant ${claims.jti} carries another legal basis than inquiry.json`);
    if (claims.recipient.unit !== inquiry.unitId) throw new EvidenceError('warrant', `warrant ${claims.jti} is for unit ${claims.recipient.unit}, inquiry.json for ${inquiry.unitId}`);
    if (claims.subjects.some((x) => !asked.has(x.id))) throw new EvidenceError('warrant', `warrant ${claims.jti} names a subject inquiry.json does not`);
    if (Object.keys(claims.categories).some((c) => !inquiry.categories.includes(c))) throw new EvidenceError('warrant', `warrant ${claims.jti} names a category inquiry.json does not`);
    warrants.set(claims.jti, { issued, claims });
  }
  checks.push('warrant');

  // Who asked and who approved: the signatures against the pinned authority key, exactly as the warrants carry them.
  const revocations = await checkRevocations(pkg.files['directory/revocations.jws'] ? pkg.text('directory/revocations.jws') : undefined, trust.authorityJwk);
  checks.push('revocations');
  const claimsList = [...warrants.values()].map((w) => w.claims);
  const { report: signatures, evidence: approved } = await checkSignatures(inquiry, claimsList, { authorityJwk: trust.authorityJwk, revocations });
  checks.push('signatures');
  await checkUnitKey(inquiry, claimsList, trust.authorityJwk);
  checks.push('unit-key');
  const departmentsAnswered = pkg.paths.filter((p) => /^results\/[a-z_]+\.json$/.test(p)).map((p) => p.slice(8, -5));
  await checkCarriedKeys(pkg, trust, departmentsAnswered);
  checks.push('keys');

  // Each answer: the department's receipt (pinned key) over this warrant and exactly this ciphertext.
  const departments = departmentsAnswered;
  const results: { department: string; summary: ResultSummary; receipt: ReceiptClaims; ciphertextSha256: string }[] = [];
  for (const department of departments) {
    const summary = parse('receipt', `results/${department}.json`, () => ResultSummary.parse(JSON.parse(pkg.text(`results/${department}.json`))));
    if (summary.department !== department || !summary.receipt || !summary.warrantId) throw new EvidenceError('receipt', `results/${department}.json has no receipt of ${department}`);
    const warrant = warrants.get(summary.warrantId);
    if (!warrant || warrant.issued.department !== department) throw new EvidenceError('receipt', `the answer of ${department} names warrant ${summary.warrantId}, which is not one of this inquiry's warrants to ${department}`);
    const receipt = await attempt('receipt', `receipt of ${department}`, async () =>
      verifyReceipt(summary.receipt!, { department, warrantId: summary.warrantId!, publicJwk: await trust.receiptKeys(department) }));
    if (receipt.inquiry_id !== inquiry.id) throw new EvidenceError('receipt', `the receipt of ${department} is for inquiry ${receipt.inquiry_id}, not ${inquiry.id}`);
    // The manifest's digest and size, which openEvidence checked against the bytes as it streamed them.
    const ciphertext = pkg.manifest.files.find((f) => f.path === `results/${department}.bin`);
    if (!ciphertext) throw new EvidenceError('ciphertext', `the package has no results/${department}.bin`);
    const digest = ciphertext.sha256;
    if (digest !== receipt.ciphertext_sha256 || ciphertext.bytes !== receipt.bytes) {
      throw new EvidenceError('ciphertext', `results/${department}.bin (SHA-256 ${digest}, ${ciphertext.bytes} bytes) is not what ${department}'s receipt signs (${receipt.ciphertext_sha256}, ${receipt.bytes} bytes)`);
    }
    results.push({ department, summary, receipt, ciphertextSha256: digest });
  }
  checks.push('receipt', 'ciphertext');

  // The rules each department applied, as its receipt names them, are met by the approvals its warrant carries.
  const unchecked: string[] = [];
  if (checkApprovalRulesCarried(pkg, results.map((r) => ({ department: r.department, claimed: r.receipt.approval_rules, warrant: warrants.get(r.summary.warrantId!)!.claims, evidence: approved.get(r.summary.warrantId!)! })), unchecked)) checks.push('approval-rules');

  // The audit log: a checkpoint signed by the pinned key, every entry proved into it.
  const checkpoint = await attempt('checkpoint', 'audit/checkpoint.txt', () => openCheckpoint(pkg.text('audit/checkpoint.txt'), trust.checkpointKey, trust.origin));
  checks.push('checkpoint');
  const audit = parse('audit-inclusion', 'audit/entries.json', () => JSON.parse(pkg.text('audit/entries.json')) as { size: number; entries: { index: number; entry: string; proof: string[] }[] });
  if (audit.size !== checkpoint.size) throw new EvidenceError('audit-inclusion', `the proofs are to a tree of ${audit.size} entries, the checkpoint signs ${checkpoint.size}`);
  const entries: AuditLogEntry[] = [];
  for (const e of audit.entries) {
    parse('audit-inclusion', `audit entry ${e.index}`, () => verifyInclusion(e.index, checkpoint.size, auditLeafHash(e.entry), decodeProof(e.proof), checkpoint.root));
    entries.push(parseAuditEntry(e.entry));
  }
  checks.push('audit-inclusion');
  const latest = await attempt('audit-consistency', 'audit/latest-checkpoint.txt', () => openCheckpoint(pkg.text('audit/latest-checkpoint.txt'), trust.checkpointKey, trust.origin));
  const consistency = parse('audit-consistency', 'audit/consistency.json', () => ConsistencyProofAnswer.parse(JSON.parse(pkg.text('audit/consistency.json'))));
  if (consistency.from !== checkpoint.size || consistency.to !== latest.size) {
    throw new EvidenceError('audit-consistency', `audit/consistency.json proves ${consistency.from} → ${consistency.to} entries, the checkpoints sign ${checkpoint.size} and ${latest.size}`);
  }
  parse('audit-consistency', `from ${checkpoint.size} to ${latest.size} entries`, () => verifyConsistency(checkpoint.size, latest.size, checkpoint.root, latest.root, decodeProof(consistency.proof)));
  checks.push('audit-consistency');

  // The log tells the same story: this inquiry's submission and approval, each warrant issued, each answer as received.
  const fail = (message: string) => new EvidenceError('audit-binding', message);
  if (entries.some((e) => e.inquiryId !== inquiry.id)) throw fail(`audit/entries.json holds entries of another inquiry than ${inquiry.id}`);
  for (const action of ['inquiry.submitted', 'inquiry.approved']) if (!entries.some((e) => e.action === action)) throw fail(`no ${action} entry for inquiry ${inquiry.id}`);
  const submitted = entries.find((e) => e.action === 'inquiry.submitted')!.details;
  const same = (x: unknown, y: readonly string[]) => Array.isArray(x) && [...x].sort().join() === [...y].sort().join();
  if (!same(submitted.categories, inquiry.categories) || submitted.subjects !== inquiry.subjects.length) throw fail('inquiry.json names other categories or another number of subjects than its inquiry.submitted entry');
  const approvals = entries.filter((e) => e.action === 'inquiry.approval_added' || e.action === 'inquiry.approved').length;
  if (approvals !== inquiry.decisions.filter((d) => d.decision === 'approve').length) throw fail(`inquiry.json shows ${inquiry.decisions.filter((d) => d.decision === 'approve').length} approvals, the log ${approvals}`);
  for (const { issued } of warrants.values()) {
    if (!entries.some((e) => e.action === 'warrant.issued' && e.details.warrantId === issued.warrantId && e.details.sha256 === issued.sha256)) throw fail(`warrant ${issued.warrantId} to ${issued.department} has no warrant.issued entry with its SHA-256`);
  }
  for (const r of results) {
    const answered = entries.find((e) => e.action === 'department.answered' && e.details.warrantId === r.summary.warrantId);
    if (!answered) throw fail(`the answer of ${r.department} to warrant ${r.summary.warrantId} has no department.answered entry`);
    if (answered.details.sha256 !== r.ciphertextSha256 || answered.details.records !== r.receipt.records || answered.details.receiptSha256 !== encodeHex(sha256(r.summary.receipt!))) {
      throw fail(`the department.answered entry of ${r.department} logged another ciphertext, record count or receipt than the package holds`);
    }
  }
  checks.push('audit-binding');

  // Records, when the package carries them: exactly what the ciphertext decrypts to, given the unit's key.
  const recordFiles = pkg.paths.filter((p) => /^records\/[a-z_]+\.ndjson$/.test(p));
  for (const path of recordFiles) {
    const department = path.slice(8, -7);
    const r = results.find((x) => x.department === department);
    if (!r) throw new EvidenceError('records', `${path} has no answer of ${department} in the package`);
    if (!trust.unitKey) {
      unchecked.push(path);
      continue;
    }
    const format = r.receipt.format;
    if (!isResultFormat(format)) throw new EvidenceError('records', `results/${department}.bin is in format ${format}, which this reader does not know`);
    const decryptor = new ResultDecryptor(trust.unitKey, { warrantId: r.summary.warrantId!, department }, { format });
    // Both sides streamed record by record: neither the plaintext nor the carried file is held whole.
    const decrypted = ndjsonRecords(decryptChunks(pkg.stream(`results/${department}.bin`), decryptor))[Symbol.asyncIterator]();
    const carried = ndjsonRecords(pkg.stream(path))[Symbol.asyncIterator]();
    for (let n = 1; ; n++) {
      const x = await attempt('records', `decrypting results/${department}.bin`, () => decrypted.next());
      const y = await attempt('records', `reading ${path}`, () => carried.next());
      if (x.done && y.done) break;
      if (x.done !== y.done || x.value !== y.value) throw new EvidenceError('records', `${path} is not what results/${department}.bin decrypts to (from record ${n} on)`);
    }
  }
  if (recordFiles.length && trust.unitKey) checks.push('records');
  return {
    unchecked,
    inquiry, checkpoint, latest, signatures, revocations: { serial: revocations.serial, issuedAt: revocations.iat }, warrants: warrants.size, auditEntries: entries.length, checks,
    results: results.map((r) => ({ department: r.department, records: r.receipt.records, bytes: r.receipt.bytes })),
  };
}
