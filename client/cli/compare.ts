import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { JWK } from 'jose';
import type { ApiClient } from '../core/api-client';
import type { Finding, Model, SourcedRecord } from '../core/models';
import { waitOption } from './format';

/**
 * `qiao compare <inquiry-id>… --model <name>`: downloads and decrypts the inquiries' results
 * here (receipts, frames and digests checked as `qiao results` does), loads them into DuckDB in
 * memory, one table per category, and runs a comparison model of models/ over them. Nothing of it
 * reaches the gateway: it only serves the ciphertext it already stores.
 * `qiao models` lists the models with what each needs.
 */

interface Deps {
  api: () => Promise<ApiClient>;
  pkiDir: () => string;
  readKey: (file: string) => Promise<JWK>;
}

/** Every succeeded department answer of the inquiries, decrypted and verified, with refs `<inquiry>/<department>/<n>`. */
export async function decryptInquiries(client: ApiClient, ids: readonly string[], o: { key?: string; directory?: string; pkiDir: string; readKey: Deps['readKey']; wait: number }): Promise<SourcedRecord[]> {
  const [{ decryptResultStream, waitForResults }, { directoryReceiptKeys }, { NODE_ENVELOPE, nodeSha256 }] = await Promise.all([
    import('../core/results'), import('./directory-keys'), import('../../proto/node/primitives'),
  ]);
  const receiptKeys = directoryReceiptKeys(o.directory ?? join(o.pkiDir, 'directory'));
  const records: SourcedRecord[] = [];
  for (const id of ids) {
    const listing = await waitForResults(client, id, o.wait);
    const key = await o.readKey(o.key ?? join(o.pkiDir, 'units', listing.recipientUnit, 'encryption.jwk'));
    for (const summary of listing.results) {
      if (summary.status !== 'succeeded') {
        console.error(`${id} ${summary.department}: ${summary.status} — its records are not compared`);
        continue;
      }
      let n = 0;
      for await (const record of decryptResultStream(client, id, summary, { privateKey: key, receiptKeys, createSha256: nodeSha256, envelope: NODE_ENVELOPE })) {
        records.push({ ref: `${id}/${summary.department}/${++n}`, inquiryId: id, department: summary.department, record });
      }
    }
  }
  return records;
}

function describeRecord(r: SourcedRecord): string {
  const { category, subject, ...fields } = r.record;
  const shown = Object.entries(fields).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return `${r.ref}  ${String(category)} of ${String(subject)}: ${shown.join(' ')}`;
}

export function renderFindings(model: Model, findings: readonly Finding[], loaded: number, inquiries: number): string {
  const lines = [`${model.name} — ${model.title}`, `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${loaded} records of ${inquiries} inquir${inquiries === 1 ? 'y' : 'ies'} (compared on this machine)`];
  findings.forEach((f, i) => {
    lines.push('', `${i + 1}. ${f.finding}`);
    for (const r of f.records) lines.push(`   ${describeRecord(r)}`);
  });
  return lines.join('\n');
}

export function registerCompare(program: Command, deps: Deps): void {
  program
    .command('compare <inquiry-ids...>')
    .description('run a comparison model (models/*.sql) over the decrypted results of one or more inquiries, here with DuckDB')
    .requiredOption('--model <name>', 'the model to run (see `qiao models`)')
    .option('--models <dir>', 'the comparison models', 'models')
    .option('--param <name=value...>', "override a model's parameter", [])
    .option('--key <file>', 'the unit private key (JWK); default: <pki-dir>/units/<unit>/encryption.jwk')
    .option('--directory <dir>', "the directory's published keys; default: <pki-dir>/directory")
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .addOption(waitOption())
    .action(async (ids: string[], o: { model: string; models: string; param: string[]; key?: string; directory?: string; format: 'text' | 'json'; wait: number }) => {
      const [{ findModel, runModel }, { resolveParameters }] = await Promise.all([import('./duckdb-models'), import('../core/models')]);
      const model = await findModel(o.models, o.model);
      const parameters = resolveParameters(model, o.param);
      const records = await decryptInquiries(await deps.api(), ids, { ...o, pkiDir: deps.pkiDir(), readKey: deps.readKey, wait: o.wait * 1000 });
      const missing = Object.keys(model.needs).filter((c) => !records.some((r) => r.record.category === c));
      if (missing.length) console.error(`${model.name}: no records of ${missing.join(', ')} in these inquiries: findings that need them cannot show (ask for them, e.g. with qiao follow-up)`);
      const findings = await runModel(model, records, parameters);
      if (o.format === 'json') {
        console.log(JSON.stringify({ model: model.name, parameters, inquiries: ids, findings: findings.map((f) => ({ finding: f.finding, details: f.details, records: f.records })) }, null, 2));
      } else console.log(renderFindings(model, findings, records.length, ids.length));
    });

  program
    .command('models')
    .description('the comparison models, with the categories each needs and what it finds')
    .option('--models <dir>', 'the comparison models', 'models')
    .action(async (o: { models: string }) => {
      const { loadModels } = await import('./duckdb-models');
      for (const m of await loadModels(o.models)) {
        console.log(`${m.name} — ${m.title}\n  needs: ${Object.keys(m.needs).join(', ')}`);
        for (const p of m.parameters) console.log(`  --param ${p.name}=<${p.type}> (default ${p.default}): ${p.description}`);
        console.log(`  ${m.explains}\n`);
      }
    });
}
