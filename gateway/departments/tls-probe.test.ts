import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import { departmentHostname } from '../../proto/identity';
import { probeTls, readAlert } from './tls-probe';

/**
 * The probe against real TLS servers on loopback that require a client certificate: one of the
 * gateway's CA (it accepts), one of another CA (it refuses the gateway's certificate).
 */
let dirs: string[] = [];
let pki: DevPki;
let otherPki: DevPki;
const servers: Server[] = [];

beforeAll(async () => {
  dirs = [await mkdtemp(path.join(tmpdir(), 'qiao-probe-')), await mkdtemp(path.join(tmpdir(), 'qiao-probe-other-'))];
  [pki, otherPki] = await Promise.all([
    ensureDevPki({ dir: dirs[0]!, departments: ['public_security'], units: [] }),
    ensureDevPki({ dir: dirs[1]!, departments: ['public_security'], units: [] }),
  ]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A TLS server with the department's certificate that requires a client certificate chained to `clientCa`. */
async function department(clientCa: string, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<number> {
  const server = createServer({ ...pki.departments.public_security!, ca: clientCa, requestCert: true, rejectUnauthorized: true, maxVersion, ALPNProtocols: ['h2'] }, (socket) =>
    socket.on('error', () => {}),
  );
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const probe = (port: number) =>
  probeTls({ host: '127.0.0.1', port, servername: departmentHostname('public_security'), ca: pki.caCert, cert: pki.gatewayClient.cert, key: pki.gatewayClient.key });

describe('probeTls', () => {
  it("learns that a department requiring a certificate of another CA refuses the gateway's", async () => {
    expect(await probe(await department(otherPki.caCert))).toEqual({ outcome: 'refused', alert: null, certificate: true });
  });

  it("learns that a department of the gateway's CA accepts it, over TLS 1.3 and 1.2", async () => {
    expect(await probe(await department(pki.caCert))).toEqual({ outcome: 'accepted' });
    expect(await probe(await department(pki.caCert, 'TLSv1.2'))).toEqual({ outcome: 'accepted' });
  });

  it('cannot tell when nothing listens, or when a TLS 1.2 server hangs up during the handshake', async () => {
    const closed = await department(pki.caCert);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(await probe(closed)).toEqual({ outcome: 'inconclusive', problem: 'ECONNREFUSED' });
    expect(await probe(await department(otherPki.caCert, 'TLSv1.2'))).toEqual({ outcome: 'inconclusive', problem: 'ECONNRESET' });
  });
});

describe('readAlert', () => {
  it("reads the alert of an OpenSSL server (here `openssl s_server -Verify 1` refusing the gateway's CA) in words", () => {
    // As Node reported it, copied from such a handshake.
    const err = Object.assign(new Error('80FC29DABA7F0000:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 48\n'), {
      code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
    });
    expect(readAlert(err)).toEqual({ outcome: 'refused', alert: 'unknown CA', certificate: true });
    expect(readAlert(Object.assign(new Error('handshake'), { code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' }))).toEqual({ outcome: 'refused', alert: 'bad certificate', certificate: true });
    expect(readAlert(Object.assign(new Error('x:SSL alert number 40'), { code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }))).toEqual({ outcome: 'refused', alert: 'handshake failure', certificate: false });
    expect(readAlert(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBeNull();
  });
});
