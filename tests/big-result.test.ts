import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { BANK_CATEGORIES, createBankSource } from '../adapters/departments/bank';
import { loadApprovalRules, startAdapter } from '../adapters/kit';
import { DEMO_DEPARTMENTS } from '../adapters/departments';
import { connectDepartment, signTestWarrant, warrantClaims } from '../adapters/kit/testing';
import { NdjsonReader, ResultDecryptor } from '../proto/result-envelope';
import { NODE_ENVELOPE, nodeSha256 } from '../proto/node/primitives';
import { MUHUDUNBAO_COOPERATIVE } from '../adapters/departments/demo-world/world';
import { decryptResultStream, waitForResults } from '../client/core/results';
import { bootFederation, type Federation } from './harness/federation';

/**
 * A full collection before each heap reading of the 285 MiB stream, so the reading is what the
 * stream holds, not the garbage V8 has not collected yet (which a busy machine lets grow past the
 * bound now and then).
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const liveHeap = () => {
  collect();
  return process.memoryUsage().heapUsed;
};

/**
 * A result of several hundred megabytes goes through the whole pipeline in this one process —
 * bank adapter (generate, project, encrypt, gRPC with back-pressure), gateway (receive, store
 * chunk by chunk, serve the download) and command line (download, verify, decrypt) — while the
 * JavaScript heap stays far below the result's size: no hop holds the result whole.
 *
 * The heap is what is measured: with the in-process PGlite database the stored chunks live in
 * its WebAssembly memory, which is the database's storage, not a buffer of the pipeline.
 */
// ≈ 285 MiB of NDJSON against PostgreSQL (about 32 MiB of ciphertext: qiao-stream-v2 deflates
// each frame before it is encrypted). PGlite (the default test database) stores bytea at only a few
// MB/s and keeps it in its WebAssembly memory, so without TEST_DATABASE_URL the same path runs
// with a 17 MiB result and only the fixed heap budget is checked.
const ON_POSTGRES = Boolean(process.env.TEST_DATABASE_URL);
const TRANSACTIONS = ON_POSTGRES ? 1_000_000 : 60_000;
const HEAP_BUDGET = 128 * 1024 * 1024;

let fed: Federation;
let peakHeap = 0;
let baseline = 0;
let sampler: NodeJS.Timeout;

beforeAll(async () => {
  // The bank's call gets the time npm start gives it: on a loaded machine 285 MiB into PostgreSQL
  // can take longer than the default 30 s call deadline, and a retry would leave the part pending.
  fed = await bootFederation({
    env: { QIAO_CALL_DEADLINE: '5m' },
    sources: { bank: createBankSource({ volume: { [MUHUDUNBAO_COOPERATIVE]: TRANSACTIONS } }) },
  });
  global.gc?.();
  baseline = process.memoryUsage().heapUsed;
  sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 10);
}, 120_000);
afterAll(async () => {
  clearInterval(sampler);
  await fed?.close();
});

describe('a multi-hundred-megabyte result', () => {
  it('streams from the bank to the decrypted records with a bounded heap at every hop', async () => {
    const started = performance.now();
    const inquiryId = await fed.runInquiry({
      investigator: 'inv.ejinhoro',
      approvers: ['appr.ordos', 'appr.region', 'appr2.region'],
      subjects: [{ kind: 'organisation', id: MUHUDUNBAO_COOPERATIVE }],
      categories: ['bank_transactions'],
    });
    const investigator = await fed.as('inv.ejinhoro');
    await fed.drain();
    const listing = await waitForResults(investigator, inquiryId, 0);
    const summary = listing.results.find((r) => r.department === 'bank')!;
    expect(summary.status).toBe('succeeded');
    if (ON_POSTGRES) expect(summary.bytes).toBeGreaterThan(25 * 1024 * 1024);
    const stored = performance.now();

    let records = 0;
    let plain = 0;
    let last: Record<string, unknown> | undefined;
    for await (const record of decryptResultStream(investigator, inquiryId, summary, {
      privateKey: fed.pki.units['150627']!.privateJwk,
      receiptKeys: directoryReceiptKeys(join(fed.pki.dir, 'directory')),
      // As the command line reads (client/cli/main.ts).
      createSha256: nodeSha256,
      envelope: NODE_ENVELOPE,
    })) {
      records += 1;
      // The NDJSON line it came from: the kit writes exactly JSON.stringify of the record.
      plain += Buffer.byteLength(JSON.stringify(record)) + 1;
      last = record;
    }
    const done = performance.now();
    expect(records).toBe(TRANSACTIONS);
    expect(last).toMatchObject({ category: 'bank_transactions', subject: MUHUDUNBAO_COOPERATIVE, txn_id: expect.stringMatching(new RegExp(`${String(TRANSACTIONS - 1).padStart(9, '0')}$`)) });

    const mb = summary.bytes! / 1024 / 1024;
    const growth = peakHeap - baseline;
    console.log(
      `big result: ${(plain / 1048576).toFixed(0)} MiB of NDJSON in ${mb.toFixed(0)} MiB of ciphertext, ${records} records; adapter→gateway ${((stored - started) / 1000).toFixed(1)} s, ` +
        `download+decrypt ${((done - stored) / 1000).toFixed(1)} s; heap peak +${(growth / 1048576).toFixed(0)} MiB over ${(baseline / 1048576).toFixed(0)} MiB`,
    );
    expect(growth).toBeLessThan(HEAP_BUDGET);
    // The heap grows by far less than the answer's NDJSON.
    if (ON_POSTGRES) expect(growth).toBeLessThan(plain / 4);
  }, 600_000);

  it('~285 MiB straight from the bank adapter over gRPC into the decryptor, whatever the database: the heap stays flat', async () => {
    const volume = 1_000_000;
    const bank = await startAdapter({
      department: 'bank',
      displayName: 'bank (big)',
      source: createBankSource({ volume: { [MUHUDUNBAO_COOPERATIVE]: volume } }),
      tls: { ca: fed.pki.caCert, ...fed.pki.departments.bank! },
      warrantKeys: fed.pki.warrantKey.publicJwks.keys,
      directoryAuthorityKey: fed.pki.directoryAuthority.publicJwk,
      revocations: { location: join(fed.pki.dir, 'directory', 'revocations.jws') },
      approvalRules: await loadApprovalRules(DEMO_DEPARTMENTS.bank!.approvalRulesFile),
      receiptKey: fed.pki.receiptKeys.bank!.privateJwk,
      servedLogFile: join(fed.pki.dir, 'big-served.ndjson'),
      logger: pino({ level: 'silent' }),
    });
    const client = connectDepartment(bank.port, 'bank', { ca: fed.pki.caCert, ...fed.pki.gatewayClient });
    try {
      const claims = warrantClaims({
        aud: 'bank',
        subjects: [{ kind: 'organisation', id: MUHUDUNBAO_COOPERATIVE }],
        categories: { bank_transactions: [...BANK_CATEGORIES.bank_transactions] },
        recipientKey: fed.pki.units['150627']!.publicJwk,
        keyCertificate: fed.pki.units['150627']!.keyCertificate,
      });
      const before = liveHeap();
      let peak = before;
      const decryptor = new ResultDecryptor(fed.pki.units['150627']!.privateJwk, { warrantId: claims.jti, department: 'bank' }, NODE_ENVELOPE);
      const reader = new NdjsonReader();
      let bytes = 0;
      let plain = 0;
      let records = 0;
      const read = (plaintexts: Uint8Array[]) => {
        for (const plaintext of plaintexts) {
          plain += plaintext.length;
          records += reader.push(plaintext).length;
        }
      };
      let trailer: { records: number; bytes: number } | undefined;
      for await (const frame of client.execute({ warrant: await signTestWarrant(claims, fed.pki.warrantKey.privateJwk, { authorityPrivateJwk: fed.pki.directoryAuthority.privateJwk }) })) {
        if (frame.chunk) {
          bytes += frame.chunk.length;
          read(await decryptor.push(frame.chunk));
          if ((bytes & 0x3fffff) < frame.chunk.length) peak = Math.max(peak, liveHeap());
        }
        if (frame.trailer) trailer = frame.trailer;
      }
      read(await decryptor.finish());
      reader.end();
      peak = Math.max(peak, liveHeap());
      expect(trailer).toMatchObject({ records: volume, bytes });
      expect(records).toBe(volume);
      expect(plain).toBeGreaterThan(250 * 1024 * 1024);
      console.log(`adapter→decryptor: ${(plain / 1048576).toFixed(0)} MiB of NDJSON in ${(bytes / 1048576).toFixed(0)} MiB of ciphertext; heap peak +${((peak - before) / 1048576).toFixed(0)} MiB`);
      expect(peak - before).toBeLessThan(16 * 1024 * 1024);
    } finally {
      client.close();
      await bank.close();
    }
  }, 300_000);
});
