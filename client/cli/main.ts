#!/usr/bin/env node
/**
 * `qiao`: the investigator's and approver's command line. Talks to the gateway over HTTP and
 * decrypts results locally with the unit's private key, which never leaves this machine.
 */
import { Command, Option } from 'commander';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { auditCommand } from './audit';
import { ApiError, createApiClient, type ApiClient } from '../core/api-client';
import { DEFAULT_GATEWAY, qiaoCommand, renderTable, waitOption } from './format';
import { devLogin, openSession } from '../core/session';
import { useNodeEdDSA } from '../../proto/node/eddsa';
import { createSessionStore } from './session-files';
import { nodeFetch } from './http-transport';
import { registerWithdraw } from './withdraw';
import { registerCompare } from './compare';
import { registerCatalogue } from './catalogue';
import { registerDepartments } from './departments';
import { registerFollowUp } from './follow-up';
import { evidenceCommand } from './evidence';
import { renderApprovals } from '../core/approvals';
import type { SubmitInquiry } from '../../proto/api/inquiries';

/** Every request of the command goes over node:http, not Node's fetch (http-transport.ts says why). */
const transport = nodeFetch();

// Loaded by the commands that use them, so that `--help`, `whoami` and the other small commands
// start without the result decryption, the progress bar and node:crypto's primitives (README.md, "Command line start-up").
const results = () => import('../core/results');
const resultsCommand = () => Promise.all([results(), import('./directory-keys'), import('./results-output'), import('../../proto/node/primitives')]);

interface Globals { gateway: string; as?: string; stateDir: string; pkiDir: string }

// `qiao … | head` closes the pipe early: that is the reader's choice, not an error to report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// Statements and decisions signed, receipts and certificates verified with node:crypto (proto/node/eddsa.ts).
useNodeEdDSA();

const program = new Command('qiao')
  .description('Submit, approve and read Qiao inquiries; results are decrypted locally with your unit key.')
  .addOption(new Option('--gateway <url>', 'gateway base URL').env('QIAO_GATEWAY').default(DEFAULT_GATEWAY))
  .option('--as <username>', 'act as this user (development mode logs in automatically)')
  .addOption(new Option('--state-dir <dir>', 'where logins are kept').env('QIAO_STATE_DIR').default('.qiao'))
  .addOption(new Option('--pki-dir <dir>', 'development PKI folder with the unit key files').env('QIAO_PKI_DIR').default('.dev'))
  .showHelpAfterError();

const globals = () => program.opts<Globals>();

const signing = () => Promise.all([import('../core/signing'), import('./signing-keys')]);

/**
 * Signs a submission with the investigator's own key, for the unit whose key will receive the
 * results (the entrusted unit, or the investigator's own), and submits it.
 */
async function submitSigned(client: ApiClient, request: Omit<SubmitInquiry, 'signed'>, o: SigningFiles) {
  const { signer, authorityJwk, cert } = await loadSigner(client, o, 'investigator');
  const [{ signSubmission }, { readUnitKey }] = await signing();
  const recipient = await readUnitKey(globals().pkiDir, request.onBehalfOf ?? cert.unit);
  return { inquiry: await client.submitInquiry(await signSubmission(request, signer, { authorityJwk, recipient })), kid: cert.kid };
}

type SigningFiles = { signingKey?: string; signingCertificate?: string; directory?: string };

/** The current user's signer, checked against the directory before anything is signed. */
async function loadSigner(client: ApiClient, o: { signingKey?: string; signingCertificate?: string; directory?: string }, role: 'investigator' | 'approver' | 'regional_approver') {
  const [{ checkSigner }, { readAuthorityKey, readSigner }] = await signing();
  const me = await client.me();
  const { pkiDir } = globals();
  const authorityJwk = await readAuthorityKey(o.directory ?? join(pkiDir, 'directory'));
  const signer = await readSigner({ pkiDir, username: me.user.username, ...(o.signingKey ? { keyFile: o.signingKey } : {}), ...(o.signingCertificate ? { certificateFile: o.signingCertificate } : {}) });
  const cert = await checkSigner(signer, { authorityJwk, unitId: me.unit.id, role });
  return { signer, authorityJwk, cert };
}

const signingOptions = (c: Command) =>
  c
    .option('--signing-key <file>', 'your own signing key (Ed25519 JWK); default: <pki-dir>/users/<you>/signing.jwk')
    .option('--signing-certificate <file>', "the directory's certificate of it; default: signing.cert.jws beside the key")
    .option('--directory <dir>', "the directory's published keys (its authority key); default: <pki-dir>/directory");

/** The gateway named with --gateway or QIAO_GATEWAY: it wins over the gateway of a kept login. */
const namedGateway = () => (program.getOptionValueSource('gateway') === 'default' ? undefined : globals().gateway);

/** The API client of the chosen user at the chosen gateway; in development mode a missing login is made on the spot. */
async function api(): Promise<ApiClient> {
  return apiAs(globals().as);
}

/** The same, as another user than --as (evidence export reads the audit log as an auditor). */
async function apiAs(as: string | undefined): Promise<ApiClient> {
  const { stateDir } = globals();
  const gateway = namedGateway();
  const { client } = await openSession({ store: createSessionStore(stateDir), defaultGateway: DEFAULT_GATEWAY, fetch: transport, ...(gateway ? { gateway } : {}), ...(as ? { as } : {}) });
  return client;
}

program.command('login <username>').description('development mode: log in as a demo user').action(async (username: string) => {
  const session = await devLogin(globals().gateway, username, { fetch: transport });
  await createSessionStore(globals().stateDir).save(session, { makeCurrent: true });
  const me = await createApiClient({ baseUrl: session.gateway, token: session.token, fetch: transport }).me();
  console.log(`logged in as ${me.user.username} — ${me.user.displayName}, ${me.unit.name} (${me.unit.id}); roles: ${me.user.roles.join(', ')}`);
});

program.command('token <username>').description('development mode: print a bearer token for curl').action(async (username: string) => {
  console.log((await devLogin(globals().gateway, username, { fetch: transport })).token);
});

program.command('whoami').action(async () => {
  const me = await (await api()).me();
  console.log(`${me.user.username} — ${me.user.displayName}\nunit: ${me.unit.name} ${me.unit.nameZh} (${me.unit.id})\nroles: ${me.user.roles.join(', ')}`);
});

signingOptions(program
  .command('submit'))
  .description('submit an inquiry about persons (resident ID) or organisations (unified social credit code)')
  .requiredOption('--subject <id...>', 'resident ID numbers (18 characters) or unified social credit codes')
  .requiredOption('--category <name...>', 'data categories, e.g. household real_estate')
  .requiredOption('--case <reference>', 'case reference')
  .requiredOption('--basis <text>', 'legal basis')
  .requiredOption('--purpose <text>', 'purpose of the inquiry')
  .option('--org', 'the subjects are organisations')
  .option('--on-behalf-of <unit>', 'entrusted mode: run the inquiry for this league (unit code)')
  .action(async (o: { subject: string[]; category: string[]; case: string; basis: string; purpose: string; org?: boolean; onBehalfOf?: string; signingKey?: string; signingCertificate?: string; directory?: string }) => {
    const split = (xs: string[]) => xs.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
    const client = await api();
    const request = {
      caseReference: o.case,
      legalBasis: o.basis,
      purpose: o.purpose,
      subjects: split(o.subject).map((id) => (o.org ? { kind: 'organisation' as const, id } : { kind: 'person' as const, id })),
      categories: split(o.category),
      ...(o.onBehalfOf ? { onBehalfOf: o.onBehalfOf } : {}),
    };
    const { inquiry, kid } = await submitSigned(client, request, o);
    console.log(`inquiry ${inquiry.id} submitted, signed with key ${kid}; status: ${inquiry.status}`);
    console.log(`an approver approves it with: ${qiaoCommand(client.baseUrl)} --as <approver> approve ${inquiry.id} --comment "..."`);
  });

program.command('list').description('inquiries you may see').action(async () => {
  const { items } = await (await api()).listInquiries();
  console.log(renderTable(items.map((i) => ({ id: i.id, unit: i.unitId, status: i.status, case: i.caseReference, categories: i.categories.join(','), 'follow-up of': i.parentId ?? '', submitted: i.createdAt }))));
});

program
  .command('show <id>')
  .description('an inquiry with its decisions, department parts and lineage; signatures are verified with the directory authority key')
  .option('--directory <dir>', "the directory's published keys; default: <pki-dir>/directory")
  .action(async (id: string, o: { directory?: string }) => {
    const client = await api();
    const i = await client.getInquiry(id);
    const [{ verifyInquirySignatures }, { readAuthorityKey }] = await signing();
    const checked = await verifyInquirySignatures(i, await readAuthorityKey(o.directory ?? join(globals().pkiDir, 'directory')));
    console.log(`inquiry ${i.id}  status: ${i.status}\nunit: ${i.unitId}  submitted by ${i.createdBy.username} at ${i.createdAt}`);
    // Lineage: up through the parents, and down to the follow-ups of this one.
    const ancestors: string[] = [];
    for (let p = i.parentId; p && ancestors.length < 20; p = (await client.getInquiry(p)).parentId) ancestors.push(p);
    if (ancestors.length) console.log(`follow-up of: ${ancestors.join(' ← ')}`);
    // The inquiry names its follow-ups itself; one the caller may not read is shown without its status.
    const followUps = await Promise.all((i.followUps ?? []).map(async (c) => `${c} (${await client.getInquiry(c).then((x) => x.status, () => 'not readable')})`));
    if (followUps.length) console.log(`follow-ups: ${followUps.join(', ')}`);
    console.log(`case: ${i.caseReference}\nlegal basis: ${i.legalBasis}\npurpose: ${i.purpose}`);
    console.log(`subjects: ${i.subjects.map((s) => s.id).join(', ')}\ncategories: ${i.categories.join(', ')}`);
    console.log(`\n${renderApprovals(i)}`);
    const st = checked.statement;
    console.log(`\nstatement: ${!st ? 'NOT SIGNED' : st.ok ? `signature verified — key ${st.kid}, unit ${st.unit}, ${st.roles.join('/')}` : `SIGNATURE INVALID — ${st.problem}`}`);
    if (i.decisions.length) {
      const rows = i.decisions.map((d, n) => {
        const c = checked.decisions[n];
        const signature = !c ? 'NOT SIGNED' : c.ok ? 'verified' : `INVALID: ${c.problem}`;
        return { username: d.username, decision: d.decision, comment: d.comment, decidedAt: d.decidedAt, signature, key: c?.ok ? c.kid : '', unit: c?.ok ? c.unit : '', role: c?.ok ? c.role : '' };
      });
      console.log(`\ndecisions:\n${renderTable(rows)}`);
    }
    if (i.parts.length) console.log(`\ndepartments:\n${renderTable(i.parts.map((p) => ({ ...p, categories: p.categories.join(',') })))}`);
  });

for (const verb of ['approve', 'reject'] as const) {
  signingOptions(program
    .command(`${verb} <id>`)
    .description(`${verb} an inquiry, signed with your own key`)
    .requiredOption('--comment <text>', 'the comment recorded with the decision'))
    .action(async (id: string, o: { comment: string; signingKey?: string; signingCertificate?: string; directory?: string }) => {
      const client = await api();
      const inquiry = await client.getInquiry(id);
      const role = verb === 'approve' && inquiry.approvals.next?.role === 'regional_approver' ? 'regional_approver' : 'approver';
      const { signer, cert } = await loadSigner(client, o, role);
      const [{ signDecisionOn }] = await signing();
      const signed = await signDecisionOn(inquiry, verb, o.comment, signer, { role: cert.roles.includes(role) ? role : cert.roles[0]! });
      const i = await client[verb](id, { comment: o.comment, signed });
      const pending = verb === 'approve' && i.status === 'pending_approval';
      console.log(`inquiry ${i.id}: ${pending ? `approval recorded; ${i.approvals.remaining} more needed` : verb === 'approve' ? 'approved' : 'rejected'}; status: ${i.status}`);
    });
}

registerWithdraw(program, api);

program
  .command('results <id>')
  .description('download the results, verify receipts and frames, and decrypt them locally with the unit key as they arrive')
  .option('--key <file>', 'the unit private key (JWK); default: <pki-dir>/units/<your unit>/encryption.jwk')
  .option('--directory <dir>', "the directory's published keys (departments' receipt keys); default: <pki-dir>/directory")
  .addOption(new Option('--format <format>', 'output').choices(['table', 'ndjson']).default('table'))
  .option('--out <file>', 'write the records to this file instead of the terminal (removed again if a check fails)')
  .addOption(waitOption())
  .action(async (id: string, o: { key?: string; directory?: string; format: 'table' | 'ndjson'; out?: string; wait: number }) => {
    const [{ decryptResultLines, decryptResultStream, waitForResults }, { directoryReceiptKeys }, { downloadProgress, ndjsonLinesWriter, tableWriter }, { NODE_ENVELOPE, nodeSha256 }] = await resultsCommand();
    const client = await api();
    const listing = await waitForResults(client, id, o.wait * 1000);
    const keyFile = o.key ?? join(globals().pkiDir, 'units', listing.recipientUnit, 'encryption.jwk');
    const key = await readKey(keyFile);
    const receiptKeys = directoryReceiptKeys(o.directory ?? join(globals().pkiDir, 'directory'));
    const out = o.out ? createWriteStream(o.out, { mode: 0o600 }) : process.stdout;
    // NDJSON goes out as the department's lines, tagged with the department, never parsed; a table needs the records.
    const lines = o.format === 'ndjson' ? ndjsonLinesWriter(out) : null;
    const table = lines ? null : tableWriter(out);
    let failed = 0;
    try {
      for (const summary of listing.results) {
        if (summary.status !== 'succeeded') {
          console.error(`${summary.department}: ${summary.status}${summary.failureReason ? ` — ${summary.failureReason}` : ''}`);
          if (summary.status === 'failed') failed++;
          continue;
        }
        const progress = downloadProgress(summary.department);
        let count = 0;
        const options = { privateKey: key, receiptKeys, onProgress: progress.update, createSha256: nodeSha256, envelope: NODE_ENVELOPE, isUtf8 };
        try {
          if (lines) {
            for await (const run of decryptResultLines(client, id, summary, options)) count += await lines.write(summary.department, run);
          } else {
            for await (const record of decryptResultStream(client, id, summary, options)) {
              count++;
              await table!.write({ department: summary.department, ...record });
            }
          }
        } finally {
          progress.stop();
        }
        await table?.flush();
        console.error(`${summary.department}: ${count} records; receipt, frames and digest verified`);
      }
      await (lines ?? table!).end();
    } catch (err) {
      if (o.out) {
        (out as WriteStream).destroy();
        await rm(o.out, { force: true });
        console.error(`qiao: ${o.out} removed: it held records of a result that failed a check`);
      }
      throw err;
    }
    if (o.out) await new Promise<void>((r) => (out as WriteStream).end(() => r()));
    if (failed) process.exitCode = 3;
  });

program.addCommand(auditCommand(api, globals));
registerCompare(program, { api, pkiDir: () => globals().pkiDir, readKey });
registerCatalogue(program, api);
registerDepartments(program, api);
registerFollowUp(program, { api, pkiDir: () => globals().pkiDir, readKey, submitSigned }, signingOptions);
program.addCommand(evidenceCommand({ api, apiAs, pkiDir: () => globals().pkiDir, readKey }));

async function readKey(file: string): Promise<JWK> {
  const { ResultCheckError } = await results();
  const text = await readFile(file, 'utf8').catch(() => {
    throw new ResultCheckError(`cannot read the unit key file ${file}: pass --key with the path of your unit's private key`);
  });
  const jwk = JSON.parse(text) as JWK;
  if (!jwk.d) throw new ResultCheckError(`${file} holds a public key; decryption needs the unit's private key`);
  return jwk;
}

program.parseAsync().catch(async (err: unknown) => {
  const { ResultCheckError } = await results();
  const { ModelError } = await import('../core/models');
  const { FollowUpError } = await import('../core/follow-up');
  if (
    err instanceof ApiError ||
    err instanceof ResultCheckError ||
    err instanceof ModelError ||
    err instanceof FollowUpError ||
    (err instanceof Error && (err.name === 'SigningError' || err.name === 'InputError'))
  ) {
    console.error(`qiao: ${err.message}${err instanceof ApiError && err.requestId ? ` (request ${err.requestId})` : ''}`);
  } else {
    console.error(`qiao: unexpected error: ${(err as Error).stack ?? String(err)}`);
  }
  process.exitCode = 2;
});
