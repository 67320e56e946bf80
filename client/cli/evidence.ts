import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { JWK } from 'jose';
import type { ApiClient } from '../core/api-client';
import { InputError } from './input-error';

/**
 * `qiao evidence export <inquiry-id> --out case.qiao-evidence` and `qiao evidence verify <file>`:
 * one file with what proves an inquiry (client/core/evidence.ts, docs/formats.md "Evidence
 * package"), and its offline check against this machine's pinned keys only.
 */
export function evidenceCommand(deps: { api: () => Promise<ApiClient>; apiAs: (username: string) => Promise<ApiClient>; pkiDir: () => string; readKey: (file: string) => Promise<JWK> }): Command {
  const evidence = new Command('evidence').description('evidence packages: export an inquiry with everything needed to check it, and verify one offline');
  evidence
    .command('export <inquiry-id>')
    .description('write the inquiry, its decisions, warrants, ciphertexts, receipts and audit entries with proofs to one file')
    .requiredOption('--out <file>', 'the package to write, e.g. case.qiao-evidence')
    .requiredOption('--audit-as <username>', 'who reads the audit log and signs a fresh checkpoint (an auditor: investigators do not read the log)')
    .option('--with-records', 'also carry the records as decrypted here (verify checks them against the ciphertext with --key)')
    .option('--findings <model...>', 'also carry the findings of these comparison models over the records (implies --with-records)')
    .option('--models <dir>', 'the comparison models', 'models')
    .option('--key <file>', 'the unit private key (JWK); default: <pki-dir>/units/<unit>/encryption.jwk')
    .option('--approval-rules <dir>', 'the departments’ approval rule files, <department>.json or <department>/approval-rules.json (carried for every receipt that names them)', 'adapters/departments')
    .option('--no-pdf', 'leave report.pdf out (the HTML report is always there)')
    .option('--revocations <file>', 'the directory authority’s signed revocation list as departments fetch it (default: <pki-dir>/directory/revocations.jws)')
    .action(async (id: string, o: { out: string; auditAs: string; withRecords?: boolean; findings?: string[]; models: string; key?: string; revocations?: string; pdf: boolean; approvalRules: string }) => {
      const { collectEvidence } = await import('../core/evidence');
      const api = await deps.api();
      let records;
      const findings = [];
      if (o.withRecords || o.findings) {
        const { decryptInquiries } = await import('./compare');
        records = await decryptInquiries(api, [id], { ...(o.key ? { key: o.key } : {}), pkiDir: deps.pkiDir(), readKey: deps.readKey, wait: 0 });
        const [{ findModel, runModel }, { resolveParameters }] = await Promise.all([import('./duckdb-models'), import('../core/models')]);
        for (const name of o.findings ?? []) {
          const model = await findModel(o.models, name);
          findings.push({ model: model.name, title: model.title, findings: await runModel(model, records, resolveParameters(model, [])) });
        }
      }
      const [{ evidenceSources }, { renderEvidencePdf }] = await Promise.all([import('./evidence-files'), o.pdf ? import('./evidence-pdf') : { renderEvidencePdf: undefined }]);
      const sources = await evidenceSources(deps.pkiDir(), o.revocations, o.approvalRules);
      // Streamed to the file: a ciphertext of any size passes through in chunks.
      const file = await open(o.out, 'w', 0o600).catch((error: NodeJS.ErrnoException) => {
        throw new InputError(`cannot write the evidence package to ${o.out}: ${error.code === 'ENOENT' ? 'its folder does not exist' : error.message}`);
      });
      let manifest;
      try {
        manifest = await collectEvidence(api, await deps.apiAs(o.auditAs), id, async (chunk) => void (await file.write(chunk)), sources, {
          ...(records ? { records } : {}), ...(o.findings ? { findings } : {}), createSha256: () => createHash('sha256'), ...(renderEvidencePdf ? { renderPdf: renderEvidencePdf } : {}),
        });
      } finally {
        await file.close();
      }
      const bytes = (await stat(o.out)).size;
      console.log(`evidence of inquiry ${id} written to ${o.out} (${manifest.files.length} files, ${bytes} bytes); check it with: ./qiao evidence verify ${o.out}`);
    });
  evidence
    .command('verify <file>')
    .description('check a package offline with the pinned keys only; names the check that fails')
    .option('--trust-dir <dir>', 'the pinned keys: keys/warrant-jwks.json, keys/checkpoint-verifier.jwk, directory/authority.pub.jwk, directory/receipts/ (default: <pki-dir>)')
    .addOption(new Option('--origin <name>', 'the audit log’s name in its checkpoints').env('QIAO_AUDIT_ORIGIN').default('qiao.gateway/audit-log'))
    .option('--key <file>', "the unit's private key (JWK): checks carried records against the ciphertext")
    .action(async (file: string, o: { trustDir?: string; origin: string; key?: string }) => {
      const [{ verifyEvidence }, { evidenceTrust, openEvidenceFile }, { EvidenceError }] = await Promise.all([import('../core/evidence'), import('./evidence-files'), import('../../proto/evidence')]);
      const trust = await evidenceTrust(o.trustDir ?? deps.pkiDir(), o.origin);
      try {
        const unitKey = o.key ? await deps.readKey(o.key) : undefined;
        const source = await openEvidenceFile(file);
        let report;
        try {
          report = await verifyEvidence(source, { ...trust, ...(unitKey ? { unitKey } : {}), createSha256: () => createHash('sha256') });
        } finally {
          await source.close();
        }
        const i = report.inquiry;
        console.log(`evidence of inquiry ${i.id} verifies: case ${i.caseReference}, unit ${i.unitId}, submitted by ${i.createdBy.username}; approved by ${i.decisions.filter((d) => d.decision === 'approve').map((d) => d.username).join(', ')}`);
        console.log(`  ${report.warrants} warrants signed by the gateway; answers: ${report.results.map((r) => `${r.department} (${r.records} records, ${r.bytes} bytes)`).join(', ')}`);
        console.log(`  statement signed by key ${report.signatures.investigator}, decisions by ${report.signatures.approvers.join(', ')}, certified by the pinned directory authority (revocation list ${report.revocations.serial} of ${new Date(report.revocations.issuedAt * 1000).toISOString()})`);
        console.log(`  ${report.auditEntries} audit entries proved into checkpoint ${report.checkpoint.size}, consistent with checkpoint ${report.latest.size}; checks passed: ${report.checks.join(', ')}`);
        const records = report.unchecked.filter((u) => u.startsWith('records/'));
        const others = report.unchecked.filter((u) => !u.startsWith('records/'));
        if (records.length) console.log(`  not checked (pass --key with the unit's private key): ${records.join(', ')}`);
        if (others.length) console.log(`  not checked: ${others.join('; ')}`);
      } catch (error) {
        if (!(error instanceof EvidenceError)) throw error;
        console.error(`qiao: ${file}: ${error.message}`);
        process.exitCode = 4;
      }
    });
  return evidence;
}
