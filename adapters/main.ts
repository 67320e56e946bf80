import path from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadAdapterPki, parseAdapterArgs } from './config';
import { DEMO_DEPARTMENTS } from './departments';
import { loadApprovalRules } from './kit/approval-rules';
import { startAdapter } from './kit/server';
import { withSourceThreads } from './kit/source-threads';
import { createAdapterLogger } from './kit/telemetry';
import { startTracing } from '../proto/node/tracing';
import { useNodeEdDSA } from '../proto/node/eddsa';

// Warrants and approvals verified, receipts signed with node:crypto (proto/node/eddsa.ts).
useNodeEdDSA();

/**
 * Source threads by department when --source-threads is not given: the bank's answers run to a
 * gigabyte, and a thread of its own cut its adapter's busiest thread by about a third (README,
 * "Performance"); each thread costs about 100 MiB of memory (its own copy of the demo world and
 * loader), which the small answers of the other departments would not repay.
 */
const DEFAULT_SOURCE_THREADS: Record<string, number> = { bank: 1 };

/**
 * Process entry of a demo department adapter:
 *   tsx adapters/main.ts --department public_security --port 7101 --pki-dir .dev [--metrics-port 9201]
 * Prints exactly one line on stdout when ready ("adapter <dept> listening on <host>:<port>", then
 * " (metrics <url>/metrics)" with an operations listener);
 * logs go to stderr as JSON (pino). SIGINT/SIGTERM close gracefully.
 */
async function main(): Promise<void> {
  const args = parseAdapterArgs(process.argv.slice(2));
  const demo = DEMO_DEPARTMENTS[args.department];
  if (!demo) {
    throw new ConfigError(`unknown department ${args.department}; demo departments: ${Object.keys(DEMO_DEPARTMENTS).join(', ')}`);
  }
  const pki = await loadAdapterPki(args.pkiDir, args.department);
  // Spans go by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise only trace ids flow.
  const tracing = startTracing({ serviceName: `qiao-adapter-${args.department}`, env: process.env });
  const logger = createAdapterLogger(`adapter-${args.department}`, pino.destination({ dest: 2, sync: true }));
  const adapter = await startAdapter({
    department: args.department,
    displayName: demo.displayName,
    source: withSourceThreads(demo.createSource({ volume: args.demoVolume }), {
      threads: args.sourceThreads ?? DEFAULT_SOURCE_THREADS[args.department] ?? 0,
      module: new URL('./departments/demo-source.ts', import.meta.url).href,
      exportName: 'createDemoSource',
      options: { department: args.department, volume: args.demoVolume },
      onThreadFailed: (problem) => logger.warn({ department: args.department }, problem),
    }),
    tls: { ca: pki.ca, cert: pki.cert, key: pki.key },
    warrantKeys: pki.warrantKeys,
    warrantJwksUrl: args.gatewayJwksUrl,
    directoryAuthorityKey: pki.directoryAuthorityKey,
    revocations: { location: args.revocations ?? path.join(args.pkiDir, 'directory', 'revocations.jws'), maxAgeSec: args.revocationsMaxAge },
    approvalRules: await loadApprovalRules(args.approvalRules ?? demo.approvalRulesFile),
    receiptKey: pki.receiptKey,
    servedLogFile: args.servedLog ?? path.join('.data', 'adapters', args.department, 'served-log.ndjson'),
    host: args.host,
    port: args.port,
    logger,
    ...(args.metricsPort !== undefined ? { metrics: { host: args.metricsHost, port: args.metricsPort } } : {}),
  });
  const metrics = adapter.metricsUrl ? ` (metrics ${adapter.metricsUrl}/metrics)` : '';
  process.stdout.write(`adapter ${args.department} listening on ${args.host}:${adapter.port}${metrics}\n`);

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ department: args.department, signal }, 'shutting down');
    void adapter
      .close()
      .then(() => tracing.shutdown().catch((err: Error) => logger.warn({ err: err.message }, 'could not send the last spans')))
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error);
  process.stderr.write(`adapter: ${message}\n`);
  process.exit(2);
});
