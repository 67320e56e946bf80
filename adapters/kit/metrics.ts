import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * A department adapter's Prometheus metrics and its operations listener (GET /metrics, GET
 * /ready), apart from the gRPC port. Labels are the department, outcomes and contract refusal
 * codes — never a warrant id, an inquiry id or a subject (adapters/README.md lists every metric).
 */

/** How an Execute call ended at the adapter. */
export const ADAPTER_OUTCOMES = ['served', 'refused', 'failed', 'cancelled'] as const;
export type AdapterOutcome = (typeof ADAPTER_OUTCOMES)[number];

export interface AdapterMetrics {
  registry: Registry;
  /** One Execute call; `code` is the refusal code (proto/refusal.ts) of a refused or failed call. */
  call(outcome: AdapterOutcome, code: string | null, seconds: number): void;
  served(records: number, bytes: number): void;
  sourceHealth(up: boolean): void;
}

export function createAdapterMetrics(department: string): AdapterMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ department });
  collectDefaultMetrics({ register: registry });
  const calls = new Counter({
    name: 'qiao_adapter_calls_total',
    help: 'Execute calls by outcome (served, refused, failed, cancelled) and refusal code ("none" when served or cancelled)',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'qiao_adapter_call_duration_seconds',
    help: 'Execute calls from the request to the trailer or the refusal, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const bytes = new Counter({ name: 'qiao_adapter_served_bytes_total', help: 'Ciphertext bytes of served answers', registers: [registry] });
  const records = new Counter({ name: 'qiao_adapter_served_records_total', help: 'Records in served answers', registers: [registry] });
  const sourceUp = new Gauge({
    name: 'qiao_adapter_data_source_up',
    help: "1 when the department's data source answered its last health check, 0 when not",
    registers: [registry],
  });
  return {
    registry,
    call(outcome, code, seconds) {
      calls.inc({ outcome, code: code ?? 'none' });
      duration.observe({ outcome }, seconds);
    },
    served(r, b) {
      records.inc(r);
      bytes.inc(b);
    },
    sourceHealth: (up) => sourceUp.set(up ? 1 : 0),
  };
}

export interface OpsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics (the text exposition) and GET /ready (200 `{"status":"ready","dataSource":"up"}`,
 * 503 with `"down"` while the data source fails its health check) on `host:port`: loopback by
 * default, for a scraper and a probe next to the adapter; nothing else is served there.
 */
export function listenOps(metrics: AdapterMetrics, sourceUp: () => boolean, address: { host: string; port: number }): Promise<OpsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n'),
      );
      return;
    }
    if (req.method === 'GET' && path === '/ready') {
      const up = sourceUp();
      res
        .writeHead(up ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ status: up ? 'ready' : 'down', dataSource: up ? 'up' : 'down' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: this listener serves GET /metrics and GET /ready\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`${address.host}:${address.port} is already in use: choose another --metrics-port (0 = any free one)`) : err),
    );
    server.listen(address.port, address.host, () => {
      const { port } = server.address() as AddressInfo;
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      resolve({ url: `http://${host}:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
