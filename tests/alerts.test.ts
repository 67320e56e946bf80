import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createAdapterMetrics } from '../adapters/kit/metrics';
import { createGatewayMetrics } from '../gateway/metrics/registry';

/**
 * docs/alerts.yml, checked without promtool: it parses, every rule has what Prometheus needs, and
 * every metric a rule's expression names exists in the registry of the process it is about —
 * with every label the rule matches on or groups by. A renamed metric or label fails here, not
 * silently in an operator's Prometheus.
 */

const FILE = resolve(import.meta.dirname, '../docs/alerts.yml');
/** Labels Prometheus adds to every scraped sample. */
const TARGET_LABELS = ['job', 'instance'];
const KEYWORDS = new Set(['by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan']);

interface Rule {
  alert?: string;
  expr?: unknown;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The label names a metric of `registry` has: its own, its registry's default ones and the target's; null when there is no such metric. */
function labelsOf(registry: Registry, defaults: string[], sample: string): Set<string> | null {
  if (sample === 'up') return new Set(TARGET_LABELS);
  const histogram = /^(.*)_(bucket|sum|count)$/.exec(sample);
  for (const name of [sample, ...(histogram ? [histogram[1]!] : [])]) {
    const metric = registry.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
    if (!metric) continue;
    if (name !== sample && !(metric.constructor.name === 'Histogram' || metric.constructor.name === 'Summary')) continue;
    return new Set([...(metric.labelNames ?? []), ...defaults, ...TARGET_LABELS, ...(sample.endsWith('_bucket') ? ['le'] : [])]);
  }
  return null;
}

/** The selectors (metric name and the labels it matches on) and the grouping labels of a PromQL expression. */
function scanPromQl(expr: string): { selectors: { metric: string; labels: string[] }[]; grouping: string[] } {
  const grouping: string[] = [];
  let rest = expr.replace(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g, (_, _kw, labels: string) => {
    grouping.push(...labels.split(',').map((l) => l.trim()).filter(Boolean));
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/\boffset\s+\w+/g, ' ');
  const selectors: { metric: string; labels: string[] }[] = [];
  const token = /([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?|"(?:[^"\\]|\\.)*"|\{[^}]*\}/g;
  for (const m of rest.matchAll(token)) {
    if (!m[1]) continue;
    const [, name, braces, call] = m;
    if (call || KEYWORDS.has(name!.toLowerCase())) continue; // a function or an aggregation, or a keyword
    const labels = braces ? [...braces.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!) : [];
    selectors.push({ metric: name!, labels });
  }
  return { selectors, grouping };
}

describe('docs/alerts.yml', async () => {
  const doc = parse(await readFile(FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  const registries: Record<string, { registry: Registry; defaults: string[] }> = {
    // Made, never scraped here: no database query runs.
    'qiao-gateway': { registry: createGatewayMetrics({ db: null as never, fanoutSlots: { inUse: () => 0, capacity: 1 } }).registry, defaults: [] },
    'qiao-adapter': { registry: createAdapterMetrics('public_security').registry, defaults: ['department'] },
  };

  it('has the two groups, each rule with an alert name, an expression, a severity and a summary, names unique', () => {
    expect(doc.groups.map((g) => g.name)).toEqual(['qiao-gateway', 'qiao-adapter']);
    const names = doc.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(new Set(names).size).toBe(names.length);
    for (const rule of doc.groups.flatMap((g) => g.rules)) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Qiao[A-Za-z]+$/);
      expect(typeof rule.expr, rule.alert).toBe('string');
      expect(['page', 'ticket', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      // Balanced parentheses and braces: the most common way to break an expression by hand.
      for (const [open, close] of [['(', ')'], ['{', '}'], ['[', ']']] as const) {
        expect(rule.expr as string, `${rule.alert}: ${open}${close}`).toSatisfy((e: string) => e.split(open).length === e.split(close).length);
      }
    }
  });

  it('uses only metrics the registries have, with labels they carry', () => {
    const problems: string[] = [];
    for (const group of doc.groups) {
      const { registry, defaults } = registries[group.name]!;
      for (const rule of group.rules) {
        const { selectors, grouping } = scanPromQl(rule.expr as string);
        if (selectors.length === 0) problems.push(`${rule.alert}: no metric found in ${rule.expr}`);
        for (const { metric, labels } of selectors) {
          const known = labelsOf(registry, defaults, metric);
          if (!known) {
            problems.push(`${rule.alert}: no metric ${metric} in the ${group.name} registry`);
            continue;
          }
          for (const label of [...labels, ...grouping]) if (!known.has(label)) problems.push(`${rule.alert}: ${metric} has no label ${label}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('reads selectors and grouping labels out of an expression', () => {
    expect(scanPromQl('histogram_quantile(0.95, sum by (le, route) (rate(qiao_http_request_duration_seconds_bucket{route!~".*/events",status="200"}[10m]))) > 2 and up{job="x"} == 0 offset 1h')).toEqual({
      selectors: [{ metric: 'qiao_http_request_duration_seconds_bucket', labels: ['route', 'status'] }, { metric: 'up', labels: ['job'] }],
      grouping: ['le', 'route'],
    });
  });

  it('finds a renamed metric or label (the check itself can fail)', () => {
    const { registry } = registries['qiao-gateway']!;
    const [wrong] = scanPromQl('sum by (dept) (rate(qiao_department_calls_total{outcome="refused"}[5m]))').selectors;
    expect(labelsOf(registry, [], wrong!.metric)).toBeNull();
    const { selectors, grouping } = scanPromQl('sum by (dept) (rate(qiao_department_call_duration_seconds_count{result="x"}[5m]))');
    const known = labelsOf(registry, [], selectors[0]!.metric)!;
    expect([...selectors[0]!.labels, ...grouping].filter((l) => !known.has(l))).toEqual(['result', 'dept']);
  });
});
