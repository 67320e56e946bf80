import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { fetchAndDecrypt, waitForResults } from '../client/core/results';
import { startTracing, type Tracing } from '../proto/node/tracing';
import { bootFederation, type Federation } from './harness/federation';

const LI = '150627196803120034';
const CASE = 'EJH-2019-031';
const PURPOSE = 'verify grassland subsidy declarations';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let fed: Federation;

const spanId = (s: ReadableSpan) => s.spanContext().spanId;
const traceId = (s: ReadableSpan) => s.spanContext().traceId;
const scope = (s: ReadableSpan) => s.instrumentationScope.name;
const lines = (logs: string[]) => logs.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('traces across the federation', () => {
  beforeAll(async () => {
    // What gateway/main.ts and adapters/main.ts register, with the spans kept in memory instead of sent by OTLP.
    tracing = startTracing({ serviceName: 'qiao-test', env: {}, processors: [new SimpleSpanProcessor(exporter)] });
    fed = await bootFederation({ logLevel: 'info', adapterLogLevel: 'info' });
  }, 180_000);
  afterAll(async () => {
    await fed?.close();
    await tracing?.shutdown();
  });

  it("one trace follows Li's inquiry from the approving request through the warrant, the gRPC call and the department's checks and lookup to the stored answer, and no span holds a subject id, case text or result data", async () => {
    const investigator = await fed.as('inv.ejinhoro');
    const { id } = await investigator.submitInquiry({
      caseReference: CASE,
      legalBasis: 'Supervision Law art. 18',
      purpose: PURPOSE,
      subjects: [{ kind: 'person', id: LI }],
      categories: ['household', 'household_members', 'real_estate', 'grassland_contracts'],
    });
    await (await fed.as('appr.ordos')).approve(id, { comment: 'approved for case EJH-2019-031' });
    await fed.drain();
    const listing = await waitForResults(investigator, id, 0);
    expect(listing.results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const values = new Set<string>();
    for (const summary of listing.results) {
      const records = await fetchAndDecrypt(investigator, id, summary, {
        privateKey: fed.pki.units['150627']!.privateJwk,
        receiptKeys: directoryReceiptKeys(join(fed.pki.dir, 'directory')),
      });
      for (const record of records) for (const v of Object.values(record)) if (typeof v === 'string' && v.length >= 4) values.add(v);
    }
    expect(values.size).toBeGreaterThan(10);

    const spans = exporter.getFinishedSpans();
    const approve = spans.find((s) => s.name === 'POST /v1/inquiries/:id/approve' && s.attributes['qiao.inquiry_id'] === id)!;
    expect(approve).toBeDefined();
    expect(approve.kind).toBe(SpanKind.SERVER);
    expect(approve.attributes['http.response.status_code']).toBe(200);
    const trace = spans.filter((s) => traceId(s) === traceId(approve));
    const children = (parent: ReadableSpan, name: string) => trace.filter((s) => s.parentSpanContext?.spanId === spanId(parent) && s.name === name);

    // One part per department, each a child of the approval, each with its whole path under it.
    const parts = children(approve, 'fanout.part');
    expect(parts.map((p) => p.attributes['qiao.department']).sort()).toEqual(['natural_resources', 'public_security']);
    for (const part of parts) {
      expect(part.attributes).toMatchObject({ 'qiao.inquiry_id': id, 'qiao.part_outcome': 'succeeded' });
      const jti = part.attributes['qiao.warrant_jti'];
      expect(jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(children(part, 'warrant.issue')[0]?.attributes['qiao.warrant_jti']).toBe(jti);
      const [call] = children(part, 'qiao.department.v1.Department/Execute');
      expect(call).toMatchObject({ kind: SpanKind.CLIENT, instrumentationScope: { name: 'qiao-gateway' } });
      // The department's span is the child of the gateway's call: the trace context crossed in the gRPC metadata.
      const [served] = children(call!, 'qiao.department.v1.Department/Execute');
      expect(served).toMatchObject({ kind: SpanKind.SERVER, instrumentationScope: { name: 'qiao-adapter' } });
      expect(served!.attributes).toMatchObject({ 'qiao.department': part.attributes['qiao.department'], 'qiao.warrant_jti': jti, 'qiao.inquiry_id': id });
      expect(children(served!, 'warrant.check')).toHaveLength(1);
      const [answer] = children(served!, 'answer.serve');
      expect(children(answer!, 'source.lookup')).toHaveLength(1);
      expect(children(part, 'answer.record')[0]?.attributes['qiao.records']).toBe(answer!.attributes['qiao.records']);
    }
    expect(new Set(trace.map(scope))).toEqual(new Set(['qiao-gateway', 'qiao-adapter']));

    // Every span of the run, every attribute, event, link and status: ids only.
    const forbidden = [LI, CASE, PURPOSE, 'approved for case', ...values];
    const texts = spans.flatMap((s) => [
      s.name,
      s.status.message ?? '',
      ...Object.entries(s.attributes).flatMap(([k, v]) => [k, String(v)]),
      ...s.events.flatMap((e) => [e.name, ...Object.values(e.attributes ?? {}).map(String)]),
      ...s.links.flatMap((l) => Object.values(l.attributes ?? {}).map(String)),
    ]);
    expect(texts.length).toBeGreaterThan(100);
    for (const text of texts) for (const word of forbidden) expect(text.includes(word), `span text ${JSON.stringify(text)} holds ${JSON.stringify(word)}`).toBe(false);

    // Logs: the gateway's lines of the approving request and of the parts' work carry its trace id,
    // the request's lines its request id; the departments' lines name the warrant and the same trace.
    const gatewayLines = lines(fed.gatewayLogs);
    const requestLines = gatewayLines.filter((l) => l.msg === 'request');
    expect(requestLines.length).toBeGreaterThan(3);
    for (const line of requestLines) {
      expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const approveLine = requestLines.find((l) => l.path === `/v1/inquiries/${id}/approve`)!;
    expect(approveLine.traceId).toBe(traceId(approve));
    expect(approveLine.requestId).toBe(approve.attributes['qiao.request_id']);
    const partLines = gatewayLines.filter((l) => l.inquiryId === id && typeof l.partId === 'string');
    expect(partLines.length).toBeGreaterThanOrEqual(4);
    for (const line of partLines) expect(line.traceId).toBe(traceId(approve));
    const departmentLines = lines(fed.adapterLogs).filter((l) => l.traceId === traceId(approve));
    expect(departmentLines.map((l) => l.msg)).toEqual(['warrant served', 'warrant served']);
    expect(departmentLines.map((l) => l.jti).sort()).toEqual(parts.map((p) => p.attributes['qiao.warrant_jti']).sort());
  }, 120_000);
});
