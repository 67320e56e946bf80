import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PolicyFileError } from './approval-policy';

/**
 * Reads policies/qiao.cedarschema and policies/*.cedar, validates every policy against the
 * schema (Cedar's strict mode) and hands them to Cedar once, preparsed, under ids unique to this
 * load — so two gateways in one process (tests) never share or overwrite each other's sets.
 * Every problem is reported as `file:line: Cedar's message`.
 */
export const SCHEMA_FILE = 'qiao.cedarschema';

export interface LoadedCedarPolicies {
  policySetId: string;
  schemaName: string;
  /** Policy id (its @id annotation) → where it is written, and its @reason if it has one. */
  policies: Map<string, { file: string; line: number; effect: 'permit' | 'forbid'; reason?: string }>;
  /** The entity types some policy names a particular entity of (`User::"alice"`, `Inquiry::"…"`). */
  literalTypes: ReadonlySet<string>;
}

/** Adds the type of every entity literal in a policy's JSON form (`{type, id}`, also as `__entity`) to `into`. */
function collectLiteralTypes(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectLiteralTypes(n, into);
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.type === 'string' && typeof o.id === 'string') into.add(o.type.replace(/^.*::/, ''));
    for (const v of Object.values(o)) collectLiteralTypes(v, into);
  }
}

const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

function describe(file: string, text: string, err: cedar.DetailedError, base = 0): string {
  const loc = err.sourceLocations?.[0];
  const where = loc ? `${file}:${lineAt(text, base + loc.start)}` : file;
  const label = loc?.label ? ` (${loc.label})` : '';
  const help = err.help ? `; ${err.help}` : '';
  return `${where}: ${err.message}${label}${help}`;
}

export async function loadCedarPolicies(dir: string): Promise<LoadedCedarPolicies> {
  const schemaFile = join(dir, SCHEMA_FILE);
  const schemaText = await readFile(schemaFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new PolicyFileError(`${schemaFile}: cannot read the Cedar schema (${err.code ?? 'error'})`);
  });
  const schemaCheck = cedar.checkParseSchema(schemaText);
  if (schemaCheck.type === 'failure') throw new PolicyFileError(schemaCheck.errors.map((e) => describe(schemaFile, schemaText, e)).join('\n'));

  const files = (await readdir(dir)).filter((f) => f.endsWith('.cedar')).sort();
  if (files.length === 0) throw new PolicyFileError(`${dir}: no *.cedar policy files: without a policy, Cedar denies everything`);
  const problems: string[] = [];
  const texts: Record<string, string> = {};
  const where = new Map<string, { file: string; text: string; offset: number }>();
  const policies: LoadedCedarPolicies['policies'] = new Map();
  const literalTypes = new Set<string>();
  for (const name of files) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8');
    const parts = cedar.policySetTextToParts(text);
    if (parts.type === 'failure') {
      problems.push(...parts.errors.map((e) => describe(file, text, e)));
      continue;
    }
    if (parts.policy_templates.length) problems.push(`${file}: policy templates are not used by Qiao; write static policies`);
    // Cedar returns the policies in an order of its own: place each at its first unused occurrence.
    const used = new Set<number>();
    const located = parts.policies.map((policyText) => {
      let offset = text.indexOf(policyText);
      while (offset !== -1 && used.has(offset)) offset = text.indexOf(policyText, offset + 1);
      used.add(offset);
      return { policyText, offset: Math.max(0, offset) };
    });
    located.sort((a, b) => a.offset - b.offset);
    for (const { policyText, offset } of located) {
      const line = lineAt(text, offset);
      const json = cedar.policyToJson(policyText);
      if (json.type === 'failure') {
        problems.push(...json.errors.map((e) => describe(file, text, e, offset)));
        continue;
      }
      const id = json.json.annotations?.id;
      if (!id) {
        problems.push(`${file}:${line}: every policy needs an @id("…") annotation: audit entries name the policies that decided`);
        continue;
      }
      const seen = policies.get(id);
      if (seen) {
        problems.push(`${file}:${line}: policy id ${JSON.stringify(id)} is already used at ${basename(seen.file)}:${seen.line}`);
        continue;
      }
      const reason = json.json.annotations?.reason;
      policies.set(id, { file, line, effect: json.json.effect, ...(reason ? { reason } : {}) });
      texts[id] = policyText;
      collectLiteralTypes(json.json, literalTypes);
      where.set(id, { file, text, offset });
    }
  }
  if (problems.length) throw new PolicyFileError(problems.join('\n'));

  const validation = cedar.validate({ schema: schemaText, policies: { staticPolicies: texts }, validationSettings: { mode: 'strict' } });
  if (validation.type === 'failure') throw new PolicyFileError(validation.errors.map((e) => describe(schemaFile, schemaText, e)).join('\n'));
  if (validation.validationErrors.length) {
    throw new PolicyFileError(
      validation.validationErrors
        .map(({ policyId, error }) => {
          const w = where.get(policyId);
          return w ? describe(w.file, w.text, error, w.offset) : `${policyId}: ${error.message}`;
        })
        .join('\n'),
    );
  }

  const suffix = randomUUID();
  const policySetId = `qiao-policies-${suffix}`;
  const schemaName = `qiao-schema-${suffix}`;
  const s = cedar.preparseSchema(schemaName, schemaText);
  if (s.type === 'failure') throw new PolicyFileError(s.errors.map((e) => describe(schemaFile, schemaText, e)).join('\n'));
  const p = cedar.preparsePolicySet(policySetId, { staticPolicies: texts });
  if (p.type === 'failure') throw new PolicyFileError(p.errors.map((e) => `${dir}: ${e.message}`).join('\n'));
  return { policySetId, schemaName, policies, literalTypes };
}
