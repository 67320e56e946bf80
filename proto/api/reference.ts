import { z } from 'zod';
import { defineEndpoint, jsonAnswer, PUBLIC } from './endpoint';
import { errorAnswers } from './errors';

/** The API's own description: the OpenAPI document and a reference page to read it. No authentication. */

export const OpenApiDocument = z.looseObject({
  openapi: z.string().startsWith('3.1', 'must be OpenAPI 3.1'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;

const tags = ['reference'];

export const referenceEndpoints = {
  openApiDocument: defineEndpoint({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This document: the OpenAPI 3.1 description of the API',
    tags,
    security: PUBLIC,
    responses: { 200: jsonAnswer('OpenAPI 3.1', OpenApiDocument), ...errorAnswers(500) },
  }),
  apiReference: defineEndpoint({
    method: 'get',
    path: '/docs',
    operationId: 'apiReference',
    summary: 'The API reference page (HTML)',
    tags,
    security: PUBLIC,
    responses: { 200: { description: 'the page', content: { 'text/html': { schema: z.string() } } }, ...errorAnswers(500) },
  }),
  apiReferenceScript: defineEndpoint({
    method: 'get',
    path: '/docs/scalar.js',
    operationId: 'apiReferenceScript',
    summary: 'The reference page’s script, served by the gateway itself',
    tags,
    security: PUBLIC,
    responses: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: z.string() } } }, ...errorAnswers(500) },
  }),
};
