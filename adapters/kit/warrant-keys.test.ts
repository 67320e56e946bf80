import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import type { DataSource } from './data-source';
import { REFUSAL_METADATA_KEY } from './refusal';
import { ServedLogEntry } from './served-log';
import { startAdapter, type RunningAdapter, type StartAdapterOptions } from './server';
import { connectDepartment, executeAll, LEAGUE_APPROVAL_RULES, signTestWarrant, warrantClaims } from './testing';
import { jwkPair, newEd25519PrivateKey } from '../../proto/node/keys';

const DEPARTMENT = 'natural_resources';
const LI = '150627196803120034';
const source: DataSource = { categories: { grassland_contracts: ['village'] }, lookup: async () => [{ village: '木呼敦包村' }] };

let dir: string;
let pki: DevPki;
let jwksServer: Server;
let jwksUrl: string;
let published: { keys: JWK[] } = { keys: [] };
let fetches = 0;
const adapters: RunningAdapter[] = [];

async function signingKey(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateJwk, publicJwk } = jwkPair(newEd25519PrivateKey());
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateJwk: { ...privateJwk, kid }, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' } };
}

async function start(options: Partial<StartAdapterOptions> = {}): Promise<RunningAdapter> {
  const adapter = await startAdapter({
    department: DEPARTMENT,
    displayName: 'Natural Resources (test)',
    source,
    tls: { ca: pki.caCert, ...pki.departments[DEPARTMENT]! },
    warrantKeys: [],
    warrantJwksUrl: jwksUrl,
    jwksCooldownMs: 0,
    directoryAuthorityKey: pki.directoryAuthority.publicJwk,
    revocations: { location: path.join(dir, 'directory', 'revocations.jws') },
    approvalRules: LEAGUE_APPROVAL_RULES,
    receiptKey: pki.receiptKeys[DEPARTMENT]!.privateJwk,
    servedLogFile: path.join(dir, 'served.ndjson'),
    logger: pino({ level: 'silent' }),
    ...options,
  });
  adapters.push(adapter);
  return adapter;
}

const unit = () => pki.units['150627']!;
const warrant = (key: JWK) =>
  signTestWarrant(
    warrantClaims({
      aud: DEPARTMENT,
      subjects: [{ kind: 'person', id: LI }],
      categories: { grassland_contracts: ['village'] },
      recipientKey: unit().publicJwk,
      keyCertificate: unit().keyCertificate,
    }),
    key,
    { authorityPrivateJwk: pki.directoryAuthority.privateJwk },
  );

async function execute(adapter: RunningAdapter, jws: string) {
  const client = connectDepartment(adapter.port, DEPARTMENT, { ca: pki.caCert, ...pki.gatewayClient });
  try {
    const { frames, error } = await executeAll(client, jws);
    return { frames, code: error?.code ?? status.OK, reason: error?.metadata.get(REFUSAL_METADATA_KEY)[0] };
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qiao-warrant-keys-'));
  pki = await ensureDevPki({ dir, departments: [DEPARTMENT], units: ['150627'] });
  jwksServer = createServer((_req, res) => {
    fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(published));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
  await new Promise((r) => jwksServer?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe("the gateway's JWKS, fetched by the adapter", () => {
  it('is fetched on the first warrant, not at start, and a rotation with two active keys serves warrants of both', async () => {
    const [older, newer] = [await signingKey(), await signingKey()];
    published = { keys: [older.publicJwk, newer.publicJwk] };
    fetches = 0;
    const adapter = await start();
    expect(fetches).toBe(0); // the gateway may start after its departments
    expect((await execute(adapter, await warrant(older.privateJwk))).code).toBe(status.OK);
    expect((await execute(adapter, await warrant(newer.privateJwk))).code).toBe(status.OK);
    expect(fetches).toBe(1);

    // The gateway retires the older key and adds the next one: an unknown kid refreshes once.
    const next = await signingKey();
    published = { keys: [newer.publicJwk, next.publicJwk] };
    expect((await execute(adapter, await warrant(next.privateJwk))).code).toBe(status.OK);
    expect(fetches).toBe(2);
    const retired = await execute(adapter, await warrant(older.privateJwk));
    expect([retired.code, retired.reason]).toEqual([status.UNAUTHENTICATED, 'warrant_unknown_key']);
    expect((await execute(adapter, await warrant(newer.privateJwk))).code).toBe(status.OK);
  });

  it('an unknown kid refreshes at most once per cool-down', async () => {
    const key = await signingKey();
    published = { keys: [key.publicJwk] };
    const adapter = await start({ jwksCooldownMs: 60_000, servedLogFile: path.join(dir, 'cooldown.ndjson') });
    fetches = 0;
    const rogue = await signingKey();
    for (let i = 0; i < 3; i++) expect((await execute(adapter, await warrant(rogue.privateJwk))).reason).toBe('warrant_unknown_key');
    expect(fetches).toBe(1);
  });

  it("once fetched, the gateway's JWKS decides: a key it withdrew is refused even if the pinned file still has it", async () => {
    const current = await signingKey();
    published = { keys: [current.publicJwk] };
    const adapter = await start({ warrantKeys: pki.warrantKey.publicJwks.keys, servedLogFile: path.join(dir, 'withdrawn.ndjson') });
    expect((await execute(adapter, await warrant(current.privateJwk))).code).toBe(status.OK);
    const withdrawn = await execute(adapter, await warrant(pki.warrantKey.privateJwk));
    expect([withdrawn.code, withdrawn.reason]).toEqual([status.UNAUTHENTICATED, 'warrant_unknown_key']);
  });

  it('falls back to the pinned JWKS file when the gateway cannot be reached', async () => {
    const adapter = await start({
      warrantKeys: pki.warrantKey.publicJwks.keys,
      warrantJwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
      servedLogFile: path.join(dir, 'pinned.ndjson'),
    });
    expect((await execute(adapter, await warrant(pki.warrantKey.privateJwk))).code).toBe(status.OK);
  });
});

describe('replay', () => {
  it('a warrant served once is refused after the adapter restarts, and the served log holds accepted then served with the digests', async () => {
    const file = path.join(dir, 'replay.ndjson');
    const options = { warrantKeys: pki.warrantKey.publicJwks.keys, warrantJwksUrl: undefined, servedLogFile: file };
    const jws = await warrant(pki.warrantKey.privateJwk);
    const first = await start(options);
    const served = await execute(first, jws);
    expect(served.code).toBe(status.OK);
    await first.close();

    const second = await start(options);
    const again = await execute(second, jws);
    expect([again.code, again.reason, again.frames]).toEqual([status.ALREADY_EXISTS, 'warrant_replayed', []]);
    expect((await execute(second, await warrant(pki.warrantKey.privateJwk))).code).toBe(status.OK);
    await second.close();

    const entries = (await readFile(file, 'utf8')).trim().split('\n').map((l) => ServedLogEntry.parse(JSON.parse(l)));
    expect(entries.map((e) => e.outcome)).toEqual(['accepted', 'served', 'refused', 'accepted', 'served']);
    const trailer = served.frames.at(-1)!.trailer!;
    expect(entries[1]).toMatchObject({ jti: entries[0]!.jti, records: 1, bytes: trailer.bytes, ciphertextSha256: trailer.sha256 });
    expect(entries[2]).toMatchObject({ jti: entries[0]!.jti, reason: 'warrant_replayed' });
  });

  it('two calls racing with one warrant: exactly one is served', async () => {
    const adapter = await start({ warrantKeys: pki.warrantKey.publicJwks.keys, warrantJwksUrl: undefined, servedLogFile: path.join(dir, 'race.ndjson') });
    const jws = await warrant(pki.warrantKey.privateJwk);
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => execute(adapter, jws)));
    expect(outcomes.map((o) => o.code).sort()).toEqual([status.OK, status.ALREADY_EXISTS, status.ALREADY_EXISTS, status.ALREADY_EXISTS].sort());
  });
});
