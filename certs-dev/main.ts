/**
 * `tsx certs-dev/main.ts [--dir .dev] [--departments a,b] [--units 150627,152900] [--verbose]`
 * Generates (or checks and reuses) the development PKI and prints what it did.
 */
import { Command } from 'commander';
import { DEMO_UNITS } from '../demo/units';
import { DEMO_USERS } from '../demo/users';
import { DevPkiError, ensureDevPki, type DevPkiFile } from './pki';

const DEMO_DEPARTMENTS = ['public_security', 'natural_resources', 'bank'];

// The demo unit tree is the gateway's seed data; the key files are made for the same units.
const DEMO_UNIT_IDS = DEMO_UNITS.map((u) => u.id);

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);

const program = new Command()
  .name('certs-dev')
  .description('Generate or refresh the development PKI (dev CA, gateway and department certificates, signing and unit keys).')
  .option('--dir <dir>', 'PKI folder', '.dev')
  .option('--departments <names>', 'comma-separated department names', list, DEMO_DEPARTMENTS)
  .option('--units <codes>', 'comma-separated unit codes', list, DEMO_UNIT_IDS)
  .option('--revoke <kids>', 'comma-separated signing key ids to put on the revocation list', list, [])
  .option('--verbose', 'list reused files one by one too', false)
  .parse();

const opts = program.opts<{ dir: string; departments: string[]; units: string[]; revoke: string[]; verbose: boolean }>();

try {
  const started = performance.now();
  const pki = await ensureDevPki({ dir: opts.dir, departments: opts.departments, units: opts.units, signers: DEMO_USERS, revoke: opts.revoke });
  const ms = Math.round(performance.now() - started);
  const count = (a: DevPkiFile['action']) => pki.files.filter((f) => f.action === a).length;
  for (const f of [...pki.files].sort((a, b) => a.path.localeCompare(b.path))) {
    if (f.action === 'reused' && !opts.verbose) continue;
    console.log(`${f.action.padEnd(8)} ${f.path}${f.reason ? `  (${f.reason})` : ''}`);
  }
  console.log(
    `dev PKI in ${pki.dir}: ${count('created')} created, ${count('replaced')} replaced, ${count('reused')} reused ` +
      `(${Object.keys(pki.departments).length} departments, ${Object.keys(pki.units).length} units, ${Object.keys(pki.signers).length} signing keys) in ${ms} ms`,
  );
} catch (err) {
  if (err instanceof DevPkiError || (err instanceof Error && /^invalid (department name|unit code)/.test(err.message))) {
    console.error(`certs-dev: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
