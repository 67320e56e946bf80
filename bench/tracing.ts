/**
 * `npx tsx bench/tracing.ts [--requests 2000] [--rounds 5]`: what tracing costs one HTTP request
 * of the gateway (`GET /v1/me`, authenticated, in process through `app.request`: the middleware,
 * the token check, the principal cache and the handler, no network). Three variants, interleaved
 * round by round (medians and best rounds): no tracer provider at all, the baseline (every span
 * the API's no-op; the request-id scope of the log lines is there in all three), the provider `gateway/main.ts` registers without an OTLP endpoint (always-off
 * sampler: trace ids made and carried, nothing recorded), and spans recorded (a batch processor
 * into an in-memory exporter: the cost of recording, without the network of an export).
 */
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { createTestGateway } from '../gateway/testing/harness';
import { startTracing, type Tracing } from '../proto/node/tracing';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const gw = await createTestGateway();
const headers = { authorization: `Bearer ${gw.users.investigator.token}` };

async function run(): Promise<{ wallUs: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const res = await gw.app.request('/v1/me', { headers });
    if (res.status !== 200) throw new Error(`GET /v1/me answered ${res.status}`);
    await res.arrayBuffer();
  }
  const wallUs = ((performance.now() - started) * 1000) / REQUESTS;
  const used = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (used.user + used.system) / REQUESTS };
}

const variants: Record<string, () => Tracing | null> = {
  'no tracer provider (baseline)': () => null,
  'provider without an endpoint (the default)': () => startTracing({ serviceName: 'bench', env: {} }),
  'spans recorded (in-memory exporter)': () =>
    startTracing({ serviceName: 'bench', env: {}, processors: [new BatchSpanProcessor(new InMemorySpanExporter(), { maxQueueSize: 100_000 })] }),
};
const results = new Map<string, { wallUs: number; cpuUs: number }[]>(Object.keys(variants).map((name) => [name, []]));
await run(); // warm-up
const order = Object.entries(variants);
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with another variant, so none always runs right after the same one.
  for (const [name, start] of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
    const tracing = start();
    results.set(name, [...(results.get(name) ?? []), await run()]);
    await tracing?.shutdown();
  }
}
await gw.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = results.get('no tracer provider (baseline)')!;
console.log(`GET /v1/me in process, ${REQUESTS} requests × ${ROUNDS} rounds; ${cpus().length} CPUs (${cpus()[0]?.model}), Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
// On a loaded machine the best round is the steadier figure (others' load only ever adds); both are shown.
const best = (xs: number[]) => Math.min(...xs);
console.log('| variant | wall µs / request, median | CPU µs / request, median | best | best vs baseline |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, runs] of results) {
  const cpu = runs.map((r) => r.cpuUs);
  const vs = (best(cpu) / best(base.map((r) => r.cpuUs)) - 1) * 100;
  console.log(`| ${name} | ${median(runs.map((r) => r.wallUs)).toFixed(0)} | ${median(cpu).toFixed(0)} | ${best(cpu).toFixed(0)} | ${vs >= 0 ? '+' : ''}${vs.toFixed(1)} % |`);
}
