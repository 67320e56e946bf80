import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { activeTraceId, activeTraceparent, contextFromTraceparent, inSpan, startTracing, type Tracing } from './tracing';

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});
const tracer = () => trace.getTracer('test');

describe('startTracing', () => {
  it('without an OTLP endpoint records nothing, but trace ids are made and carried: log lines and departments share them', async () => {
    tracing = startTracing({ serviceName: 'test', env: {} });
    expect(tracing.exporting).toBe(false);
    await inSpan(tracer(), 'outer', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(activeTraceId()).toMatch(/^[0-9a-f]{32}$/);
      expect(activeTraceparent()).toBe(`00-${activeTraceId()}-${span.spanContext().spanId}-00`);
      // A stored traceparent continues the same trace later, elsewhere.
      const stored = activeTraceparent();
      await context.with(context.active(), () =>
        inSpan(tracer(), 'later', {}, async (later) => expect(later.spanContext().traceId).toBe(span.spanContext().traceId), contextFromTraceparent(stored)),
      );
    });
    expect(activeTraceId()).toBeUndefined();
  });

  it('exports by OTLP over HTTP/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT (the standard variable)', async () => {
    const received: { path?: string; type?: string; bytes: number }[] = [];
    const collector = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (b: Buffer) => (bytes += b.length));
      req.on('end', () => {
        received.push({ path: req.url, type: req.headers['content-type'], bytes });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((ok) => collector.listen(0, '127.0.0.1', ok));
    try {
      const { port } = collector.address() as AddressInfo;
      tracing = startTracing({ serviceName: 'test', env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
      expect(tracing.exporting).toBe(true);
      await inSpan(tracer(), 'exported', { attributes: { 'qiao.part_id': 'p-1' } }, async (span) => expect(span.isRecording()).toBe(true));
      await tracing.shutdown(); // flushes the batch
      tracing = undefined;
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ path: '/v1/traces', type: 'application/x-protobuf' });
      expect(received[0]!.bytes).toBeGreaterThan(50);
    } finally {
      collector.close();
    }
  });

  it('registers nothing with OTEL_SDK_DISABLED=true: no trace ids at all', async () => {
    tracing = startTracing({ serviceName: 'test', env: { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' } });
    expect(tracing.exporting).toBe(false);
    await inSpan(tracer(), 'nothing', {}, async () => expect(activeTraceId()).toBeUndefined());
  });

  it("records with a processor: a span that throws ends with status ERROR and the error's name, never its message", async () => {
    const exporter = new InMemorySpanExporter();
    tracing = startTracing({ serviceName: 'test', env: {}, processors: [new SimpleSpanProcessor(exporter)] });
    const failing = inSpan(tracer(), 'failing', {}, async () => {
      throw new TypeError('bad subject 150627196803120034');
    });
    await expect(failing).rejects.toThrow(TypeError);
    const [span] = exporter.getFinishedSpans();
    expect(span!.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
    expect(span!.status).toEqual({ code: 2, message: 'TypeError' });
  });
});
