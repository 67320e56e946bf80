/**
 * The gateway process: `tsx gateway/main.ts`, configured by environment variables (gateway/config.ts).
 * The only place that reads process.env.
 */
// First: V8 settings that must hold before any other module is evaluated (see the file).
import './runtime-flags';
import { ConfigError, parseConfig } from './config';
import { createLogger } from './logger';
import { startGateway } from './server';
import { startTracing } from '../proto/node/tracing';
import { useNodeEdDSA } from '../proto/node/eddsa';

// Warrants signed, statements and decisions verified with node:crypto (proto/node/eddsa.ts).
useNodeEdDSA();

async function main() {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`qiao gateway: ${err.message}\nSee the configuration section of README.md.`);
      process.exit(2);
    }
    throw err;
  }
  // Spans go by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise only trace ids flow.
  const tracing = startTracing({ serviceName: 'qiao-gateway', env: process.env });
  const logger = createLogger({ level: config.logLevel });
  const gateway = await startGateway({ config, logger, seedDemo: process.env.QIAO_SEED_DEMO === 'true' });
  logger.info({ url: gateway.url, mode: config.mode, database: gateway.database.kind }, 'gateway ready');
  console.log(`gateway listening on ${gateway.url}${gateway.metricsUrl ? ` (metrics ${gateway.metricsUrl}/metrics)` : ''}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'gateway stopping');
    await gateway.close();
    // Spans still buffered go to the collector now; one that is away costs them, not the stop.
    await tracing.shutdown().catch((err: Error) => logger.warn({ err: err.message }, 'could not send the last spans'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`qiao gateway: cannot start: ${(err as Error).message}`);
  process.exit(1);
});
