import { auditEndpoints } from './audit';
import { catalogueEndpoints } from './catalogue';
import { departmentEndpoints } from './departments';
import { devEndpoints } from './dev';
import { eventEndpoints } from './events';
import { matchPath, type Endpoint } from './endpoint';
import { healthEndpoints } from './health';
import { inquiryEndpoints } from './inquiries';
import { keyEndpoints } from './keys';
import { meEndpoints } from './me';
import { referenceEndpoints } from './reference';
import { resultEndpoints } from './results';
import { warrantEndpoints } from './warrants';

/**
 * The gateway's HTTP API, described once: every endpoint with its request and answer schemas.
 * The gateway validates with them and generates /openapi.json from them; `client/core` parses
 * every answer with them; the gateway's tests check every answer they see against them.
 * Plain zod and other proto modules only, so it loads in a browser.
 */

export * from './audit';
export * from './catalogue';
export * from './check';
export * from './departments';
export * from './dev';
export * from './endpoint';
export * from './errors';
export * from './events';
export * from './health';
export * from './inquiries';
export * from './keys';
export * from './me';
export * from './reference';
export * from './results';
export * from './warrants';

/** Every endpoint, by operation id. */
export const endpoints = {
  ...healthEndpoints,
  ...keyEndpoints,
  ...referenceEndpoints,
  ...devEndpoints,
  ...meEndpoints,
  ...catalogueEndpoints,
  ...departmentEndpoints,
  ...inquiryEndpoints,
  ...eventEndpoints,
  ...resultEndpoints,
  ...warrantEndpoints,
  ...auditEndpoints,
};
export type EndpointName = keyof typeof endpoints;

export const ENDPOINT_LIST: readonly Endpoint[] = Object.values(endpoints);

/** The endpoint a request is for, with its path parameters; null for a path the API does not have. */
export function findEndpoint(method: string, pathname: string): { endpoint: Endpoint; params: Record<string, string> } | null {
  const m = method.toLowerCase();
  for (const endpoint of ENDPOINT_LIST) {
    if (endpoint.method !== m) continue;
    const params = matchPath(endpoint.path, pathname);
    if (params) return { endpoint, params };
  }
  return null;
}

/** The document's head: what the API is, and how callers authenticate. */
export const API_INFO = {
  title: 'Qiao gateway API',
  version: '1',
  description:
    'The HTTP API of the Qiao gateway: inquiries, their approvals, the departments’ encrypted results (which only the requesting unit can decrypt) and the tamper-evident audit log. Every /v1 route needs a bearer token; errors share one envelope (ErrorEnvelope).',
};

/** The document's sections, in reading order. */
export const API_TAGS = [
  { name: 'inquiries', description: 'Submit an inquiry, follow its approval chain, approve, reject or withdraw it.' },
  { name: 'results', description: 'What each department answered, and its ciphertext: only the requesting unit’s key decrypts it.' },
  { name: 'audit', description: 'The tamper-evident audit log: signed checkpoints, entries, inclusion and consistency proofs.' },
  { name: 'directory', description: 'Who the caller is.' },
  { name: 'development', description: 'Development mode only.' },
  { name: 'operations', description: 'Liveness, readiness and the warrant keys departments verify with.' },
  { name: 'reference', description: 'This document and its reference page.' },
];

/** The `bearer` security scheme the endpoints' `security` names. */
export const BEARER_SCHEME = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a JWT from the directory’s token issuer (in development mode: POST /dev/token)' } as const;
