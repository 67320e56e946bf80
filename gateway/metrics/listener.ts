import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayMetrics } from './registry';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * The Prometheus scrape endpoint, on a listener of its own (QIAO_METRICS_HOST/PORT, loopback by
 * default): GET /metrics and nothing else. It is not the API: no token, no CORS, never on the
 * API's port, so exposing the API never exposes it (README, "Metrics").
 */
export function listenMetrics(metrics: GatewayMetrics, address: { host: string; port: number }): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: this listener serves GET /metrics only\n');
      return;
    }
    metrics.exposition().then(
      ({ contentType, text }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`${address.host}:${address.port} is already in use: set QIAO_METRICS_PORT to a free port (0 = any) or off`) : err),
    );
    server.listen(address.port, address.host, () => {
      const { port } = server.address() as AddressInfo;
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      resolve({
        url: `http://${host}:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
