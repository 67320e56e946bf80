import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { departmentHostname, GATEWAY_IDENTITY } from '../proto/identity';
import { ensureDevPki, type DevPki } from './pki';

/** Real mutual TLS on loopback: a department's server cert against the gateway's client cert. */
describe('mutual TLS with the dev PKI', () => {
  const dirs: string[] = [];
  let pki: DevPki;
  let stranger: DevPki; // another folder's PKI: same names, another CA
  let server: tls.Server;
  let port: number;
  let accepted = 0;
  const hostname = departmentHostname('public_security');

  beforeAll(async () => {
    const make = async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'qiao-pki-tls-'));
      dirs.push(dir);
      return ensureDevPki({ dir, departments: ['public_security'], units: [] });
    };
    [pki, stranger] = await Promise.all([make(), make()]);
    const dept = pki.departments.public_security!;
    server = tls.createServer({ cert: dept.cert, key: dept.key, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (socket) => {
      accepted++;
      socket.end(`hello ${socket.getPeerX509Certificate()?.subjectAltName}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server?.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** Connects and reads until the server closes; resolves with what was read, or the error. */
  function connect(opts: tls.ConnectionOptions): Promise<{ data: string; error?: Error }> {
    return new Promise((resolve) => {
      let data = '';
      const socket = tls.connect({ host: '127.0.0.1', port, servername: hostname, ...opts });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('error', (error) => resolve({ data, error }));
      socket.on('close', () => resolve({ data }));
    });
  }

  it('completes a handshake between the gateway client cert and a department server cert', async () => {
    const result = await connect({ ca: pki.caCert, cert: pki.gatewayClient.cert, key: pki.gatewayClient.key });
    expect(result.error).toBeUndefined();
    expect(result.data).toBe(`hello DNS:${GATEWAY_IDENTITY}`);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const acceptedBefore = accepted;
    const refused = once(server, 'tlsClientError');
    const result = await connect({ ca: pki.caCert, cert: stranger.gatewayClient.cert, key: stranger.gatewayClient.key });
    // node's TLS server checks the client chain after OpenSSL's handshake and drops the socket
    // without an alert, so the client sees a close and the server a tlsClientError.
    await refused;
    expect(result.data).toBe('');
    expect(accepted).toBe(acceptedBefore);
  });

  it('refuses a client without a certificate', async () => {
    const refused = once(server, 'tlsClientError');
    const result = await connect({ ca: pki.caCert });
    await refused;
    expect(result.data).toBe('');
  });

  it('makes the gateway refuse a department server certificate from another CA', async () => {
    const result = await connect({ ca: stranger.caCert, cert: stranger.gatewayClient.cert, key: stranger.gatewayClient.key });
    expect(result.error?.message).toMatch(/certificate/i);
    expect(result.data).toBe('');
  });

  it('makes the gateway refuse a department cert presented under another department name', async () => {
    const result = await connect({ servername: departmentHostname('natural_resources'), ca: pki.caCert, cert: pki.gatewayClient.cert, key: pki.gatewayClient.key });
    expect(result.error?.message).toMatch(/does not match|altnames/i);
  });
});
