/**
 * `npm run bench:approvals [-- --rounds N]`: what the signed statement and approvals cost.
 * At the department: the checks of one warrant before this (signature against the JWKS, the
 * recipient key certificate) against the evidence check added (statement, three approvals, four
 * certificates, revocation list, the department's rule file) — the bank's rules, the strictest.
 * At the gateway: checking one submitted statement and one signed approval (what
 * services/inquiry/signatures.ts does before it stores them). Medians of N runs, interleaved.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEMO_DEPARTMENTS } from '../adapters/departments';
import { checkEvidence, checkRecipientKey, checkWarrant, createRevocationSource, loadApprovalRules } from '../adapters/kit';
import { testEvidence, warrantClaims } from '../adapters/kit/testing';
import { ensureDevPki } from '../certs-dev/pki';
import { signDecisionOn, signSubmission } from '../client/core/signing';
import { DEMO_USERS } from '../demo/users';
import { verifyDecisionSignature, verifySubmission } from '../gateway/services/inquiry/signatures';
import type { RequestContext } from '../gateway/services/context';
import type { InquiryView, SubmitInquiry } from '../proto/api/inquiries';
import { signWarrant } from '../proto/warrant';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 0) || 2000;
const dir = await mkdtemp(join(tmpdir(), 'qiao-bench-approvals-'));
try {
  const pki = await ensureDevPki({ dir, departments: ['bank'], units: ['150627', '150600', '150000'], signers: DEMO_USERS });
  const authority = pki.directoryAuthority;
  const unit = pki.units['150627']!;

  // ---- the department ----
  const base = warrantClaims({
    aud: 'bank',
    subjects: [{ kind: 'organisation', id: '93150627MA0N2K7P26' }],
    categories: { bank_transactions: ['account_no', 'posted_at', 'amount'] },
    recipientKey: unit.publicJwk,
    keyCertificate: unit.keyCertificate,
  });
  const { evidence } = await testEvidence(base, { authorityPrivateJwk: authority.privateJwk });
  const jws = await signWarrant({ ...base, evidence }, { privateJwk: pki.warrantKey.privateJwk });
  const plainJws = await signWarrant(base, { privateJwk: pki.warrantKey.privateJwk });
  const keys = pki.warrantKey.publicJwks.keys;
  const revocations = createRevocationSource({ location: join(dir, 'directory', 'revocations.jws'), authorityJwk: authority.publicJwk, logger: pino({ level: 'silent' }) });
  const rules = await loadApprovalRules(DEMO_DEPARTMENTS.bank!.approvalRulesFile);
  const claims = await checkWarrant(jws, { department: 'bank', keys });
  await checkEvidence(claims, { authorityJwk: authority.publicJwk, revocations, rules }); // warm, and proves it passes

  // ---- the gateway ----
  const inv = pki.signers['inv.ejinhoro']!;
  const appr = pki.signers['appr.ordos']!;
  const request: SubmitInquiry = { caseReference: 'B-1', legalBasis: 'Supervision Law art. 18', purpose: 'bench', subjects: [{ kind: 'person', id: '150627196803120034' }], categories: ['household', 'real_estate', 'bank_transactions'] };
  const signed = await signSubmission(request, inv, { authorityJwk: authority.publicJwk, recipient: { unit: '150627', key: unit.publicJwk, certificate: unit.keyCertificate } });
  const ctx = (userUnit: string) => ({ signatures: { required: true, authorityJwk: authority.publicJwk }, clock: () => new Date(), principal: { unitId: userUnit } }) as unknown as RequestContext;
  const stored = await verifySubmission(ctx('150627'), signed, { id: '150627', encryptionKey: unit.publicJwk });
  const view = { id: stored!.claims.inquiry_id, signed: { statement: signed.signed.statement, certificate: inv.certificate }, approvals: { next: { index: 0, role: 'approver', unitId: '150600' } } } as unknown as InquiryView;
  const decision = await signDecisionOn(view, 'approve', 'ok', appr);
  const decide = () => verifyDecisionSignature(ctx('150600'), { inquiryId: view.id, statement: stored!.stored, decision: 'approve', step: { index: 0, role: 'approver' }, comment: 'ok', signed: decision });

  const variants: Record<string, () => Promise<unknown>> = {
    'department, before: warrant signature + recipient key certificate (baseline)': async () => {
      const c = await checkWarrant(plainJws, { department: 'bank', keys });
      await checkRecipientKey(c, authority.publicJwk);
    },
    'department, after: the same + evidence (statement, 3 approvals, 4 certificates, revocations, rules)': async () => {
      const c = await checkWarrant(jws, { department: 'bank', keys });
      await checkRecipientKey(c, authority.publicJwk);
      await checkEvidence(c, { authorityJwk: authority.publicJwk, revocations, rules });
    },
    'department: the evidence check alone': () => checkEvidence(claims, { authorityJwk: authority.publicJwk, revocations, rules }),
    'gateway: one submitted statement (certificate, signature, disclosures)': () => verifySubmission(ctx('150627'), signed, { id: '150627', encryptionKey: unit.publicJwk }),
    'gateway: one signed approval (certificate, signature, digests)': decide,
  };
  // Batches of BATCH calls, the variants interleaved batch by batch; per call: wall ms and CPU ms
  // (process.cpuUsage, user + system: on a shared machine wall time stretches with others' load,
  // CPU time much less). Medians over the batches.
  const BATCH = 20;
  const wall: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let warm = 0; warm < 50; warm++) for (const run of Object.values(variants)) await run();
  for (let i = 0; i < Math.ceil(rounds / BATCH); i++) {
    for (const [name, run] of Object.entries(variants)) {
      const c = process.cpuUsage();
      const t = performance.now();
      for (let k = 0; k < BATCH; k++) await run();
      const used = process.cpuUsage(c);
      wall[name]!.push((performance.now() - t) / BATCH);
      cpu[name]!.push((used.user + used.system) / 1000 / BATCH);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
  console.log(`${rounds} calls each in batches of ${BATCH}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load average ${load}, Node ${process.version}; warrant ${jws.length} bytes (${plainJws.length} without evidence)\n`);
  console.log('| check | wall ms per call (median) | CPU ms per call (median) |\n|---|---:|---:|');
  for (const name of Object.keys(variants)) console.log(`| ${name} | ${median(wall[name]!).toFixed(3)} | ${median(cpu[name]!).toFixed(3)} |`);
  const [before, after] = Object.keys(variants);
  console.log(`\nadded at the department per warrant with three approvals: ${(median(wall[after!]!) - median(wall[before!]!)).toFixed(3)} ms wall, ${(median(cpu[after!]!) - median(cpu[before!]!)).toFixed(3)} ms CPU (bound: 2 ms)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
