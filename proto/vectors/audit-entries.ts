import { z } from 'zod';
import { AUDIT_ACTION_SPECS, AUDIT_ACTIONS, type AuditAction } from '../audit-entry';

/**
 * One example entry of every audit action — the vector proto/vectors/audit-entries-v1.json — and
 * the reference of the actions in docs/formats.md, both made from proto/audit-entry.ts by
 * `npx tsx proto/vectors/make-audit-entry-vectors.ts`; proto/audit-entry.test.ts fails when
 * either differs from what this file makes.
 */

const INQUIRY = '5d2c8f0e-7a41-4b9c-8e3f-1c2d3e4f5a6b';
const PART = '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';
const WARRANT = '0b6f3c52-2f4e-4c1a-9d1e-6a8f2b7c9e10';
const INVESTIGATOR = { userId: '3f6e2a10-8b7c-4d5e-9f01-23456789abcd', unitId: '150627' };
const APPROVER = { userId: '7c1d9e20-4a3b-4c5d-8e6f-0123456789ab', unitId: '150600' };
const AUDITOR = { userId: 'e2b4c6d8-1a3c-4e5f-a7b9-c1d3e5f70912', unitId: '150000' };
const REQUEST = 'a8d4f1e2-6b3c-4d7e-9f80-1a2b3c4d5e6f';

/** The envelope and details of each example; `at` and `v` are added by `exampleEntries`. */
const EXAMPLES: Record<AuditAction, { actor?: { userId: string; unitId: string }; inquiryId?: string; requestId?: string; details: Record<string, unknown> }> = {
  'inquiry.submitted': {
    actor: INVESTIGATOR,
    inquiryId: INQUIRY,
    requestId: REQUEST,
    details: {
      categories: ['household', 'household_members'],
      subjects: 1,
      sensitivity: 'standard',
      approvalChain: [{ role: 'approver', unitId: '150600', count: 1 }],
      policyIds: ['investigator-submits-for-own-unit'],
      commitments: {
        key: '61772a2e',
        case: 'hmac:W7nxu_GshUL0DRRb8TOuOu2kwhFwjfv7ghjgnMD0oRU',
        subjects: ['hmac:ZHEZgz4fGBsDBDgwC505s827lr1tjoIm7RAi_0k--D8'],
      },
    },
  },
  'inquiry.approval_added': {
    actor: APPROVER,
    inquiryId: INQUIRY,
    requestId: REQUEST,
    details: { decisionId: 'c0ffee00-1234-4abc-8def-0123456789ab', policyIds: ['approver-fills-next-step'], step: 1, steps: 2, remaining: 1 },
  },
  'inquiry.approved': {
    actor: APPROVER,
    inquiryId: INQUIRY,
    requestId: REQUEST,
    details: {
      decisionId: 'c0ffee00-1234-4abc-8def-0123456789ac',
      policyIds: ['approver-fills-next-step'],
      step: 1,
      steps: 1,
      remaining: 0,
      departments: ['public_security'],
    },
  },
  'inquiry.rejected': {
    actor: APPROVER,
    inquiryId: INQUIRY,
    requestId: REQUEST,
    details: { decisionId: 'c0ffee00-1234-4abc-8def-0123456789ad', policyIds: ['approver-rejects-in-subtree'] },
  },
  'inquiry.withdrawn': { actor: INVESTIGATOR, inquiryId: INQUIRY, requestId: REQUEST, details: { policyIds: ['submitter-withdraws'], reason: 'asked the wrong banner' } },
  'inquiry.expired': { inquiryId: INQUIRY, details: { expiresAt: '2024-05-13T12:49:10.000Z' } },
  'authorization.denied': {
    actor: INVESTIGATOR,
    inquiryId: INQUIRY,
    requestId: REQUEST,
    details: { attempted: 'inquiry.approve', reason: 'nobody decides an inquiry they submitted', policyIds: ['no-decision-on-own-inquiry'] },
  },
  'warrant.issued': {
    inquiryId: INQUIRY,
    details: {
      department: 'public_security',
      partId: PART,
      warrantId: WARRANT,
      attempt: 1,
      sha256: 'e3f1c0d6a4b2e8f7c9d1a3b5e7f9c1d3a5b7e9f1c3d5a7b9e1f3c5d7a9b1e3f5',
      kid: 'gateway-warrant-2024',
      categories: ['household', 'household_members'],
      expiresAt: '2024-05-06T12:55:10.000Z',
    },
  },
  'warrant.read': {
    actor: AUDITOR,
    inquiryId: INQUIRY,
    requestId: REQUEST,
    details: { department: 'public_security', partId: PART, warrantId: WARRANT, sha256: 'e3f1c0d6a4b2e8f7c9d1a3b5e7f9c1d3a5b7e9f1c3d5a7b9e1f3c5d7a9b1e3f5' },
  },
  'department.answered': {
    inquiryId: INQUIRY,
    details: {
      department: 'public_security',
      partId: PART,
      warrantId: WARRANT,
      attempt: 1,
      format: 'qiao-stream-v1',
      records: 3,
      bytes: 1187,
      sha256: '5a0c9e3b7d1f4a6c8e2b0d4f6a8c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c',
      chunks: 2,
      receiptSha256: '0d2f4a6c8e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a5c7e9b2d4f',
    },
  },
  'part.failed': {
    inquiryId: INQUIRY,
    details: { department: 'natural_resources', partId: PART, attempts: 5, reason: 'department: UNAVAILABLE (gave up after 5 attempts)', warrantId: WARRANT },
  },
  'result.downloaded': {
    actor: INVESTIGATOR,
    inquiryId: INQUIRY,
    requestId: REQUEST,
    details: { department: 'public_security', warrantId: WARRANT, records: 3, bytes: 1187, sha256: '5a0c9e3b7d1f4a6c8e2b0d4f6a8c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c' },
  },
  'policy.changed': {
    details: {
      files: { 'approvals.json': '1f'.repeat(32), 'categories.json': '2e'.repeat(32), 'inquiries.cedar': '3d'.repeat(32), 'qiao.cedarschema': '4c'.repeat(32), 'results-and-oversight.cedar': '5b'.repeat(32) },
      changed: ['inquiries.cedar'],
      first: false,
    },
  },
  'keys.changed': {
    details: {
      keys: { warrantSigning: 'gateway-warrant-2024', warrantPublished: 'gateway-warrant-2024', checkpointSigning: 'checkpoint-2024', auditCommitment: '61772a2e' },
      changed: ['auditCommitment', 'checkpointSigning', 'warrantPublished', 'warrantSigning'],
      first: true,
    },
  },
};

/** The example entries (envelope objects, before canonicalisation), in the order of AUDIT_ACTIONS. */
export function exampleEntries(): Record<string, unknown>[] {
  return AUDIT_ACTIONS.map((action, i) => ({ v: 1, at: `2024-05-06T12:50:${String(10 + i).padStart(2, '0')}.000Z`, action, ...EXAMPLES[action] }));
}

// ---- the reference of the actions, as docs/formats.md shows it ----------------------------------

export const DOC_BEGIN = '<!-- audit-actions:begin (generated from proto/audit-entry.ts by proto/vectors/make-audit-entry-vectors.ts; do not edit) -->';
export const DOC_END = '<!-- audit-actions:end -->';

type JsonSchema = {
  type?: string;
  description?: string;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
};

const cell = (text: string) => text.replaceAll('|', '\\|');

function typeText(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(typeText).join(' or ');
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  switch (s.type) {
    case 'null':
      return '`null`';
    case 'boolean':
      return 'boolean';
    case 'integer':
      return s.exclusiveMinimum === 0 || s.minimum === 1 ? 'integer ≥ 1' : s.minimum === 0 ? 'integer ≥ 0' : 'integer';
    case 'string':
      if (s.format === 'uuid') return 'UUID string';
      if (s.format === 'date-time') return 'ISO 8601 instant (UTC, `Z`)';
      if (s.pattern) return `string \`${s.pattern}\``;
      return s.maxLength ? `string, ${s.minLength ?? 0}–${s.maxLength} characters` : 'string';
    case 'array':
      return `array${s.minItems ? ` (≥ ${s.minItems})` : ''} of ${typeText(s.items ?? {})}`;
    case 'object':
      if (s.properties) return `object {${Object.keys(s.properties).map((k) => `\`${k}\``).join(', ')}}`;
      if (typeof s.additionalProperties === 'object') return `object: string → ${typeText(s.additionalProperties)}`;
      return 'object';
    default:
      return 'any';
  }
}

/** Rows of one object schema, nested objects (`commitments`, chain steps) flattened with dotted names. */
function rows(s: JsonSchema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, member] of Object.entries(s.properties ?? {})) {
    const required = s.required?.includes(name) ? 'yes' : 'no';
    out.push(`| \`${prefix}${name}\` | ${cell(typeText(member))} | ${required} | ${cell(member.description ?? '')} |`);
    const inner = member.type === 'array' ? member.items : member;
    if (inner?.properties) out.push(...rows(inner, `${prefix}${name}${member.type === 'array' ? '[]' : ''}.`));
  }
  return out;
}

/** The generated section of docs/formats.md: every action, who writes it, its details member by member, an example. */
export function renderAuditActions(examples: readonly string[]): string {
  const lines = [DOC_BEGIN, ''];
  for (const [i, action] of AUDIT_ACTIONS.entries()) {
    const spec = AUDIT_ACTION_SPECS[action];
    const schema = z.toJSONSchema(spec.details) as JsonSchema;
    const who = spec.actor === 'user' ? '`actor` present (a user acted), with the request’s `requestId`' : 'no `actor` (the gateway itself)';
    const inquiry = { required: '`inquiryId` present', optional: '`inquiryId` when the attempt concerned an inquiry', absent: 'no `inquiryId`' }[spec.inquiry];
    lines.push(
      `#### \`${action}\``,
      '',
      `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}. ${who}; ${inquiry}.`,
      '',
      '| member of `details` | type | required | meaning |',
      '|---|---|---|---|',
      ...rows(schema),
      '',
      'Example entry:',
      '',
      '```json',
      examples[i]!,
      '```',
      '',
    );
  }
  lines.push(DOC_END);
  return lines.join('\n');
}
