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

/** The reference page's files: Swagger UI's bundle and style sheet, and the page's own start script. */
export const REFERENCE_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'start.js'] as const;
export const ReferenceAssetParams = z.object({ asset: z.enum(REFERENCE_ASSETS) });
export type ReferenceAssetParams = z.infer<typeof ReferenceAssetParams>;

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
  apiReferenceAsset: defineEndpoint({
    method: 'get',
    path: '/docs/{asset}',
    operationId: 'apiReferenceAsset',
    summary: 'The reference page’s script and style sheet (Swagger UI), served by the gateway itself',
    tags,
    security: PUBLIC,
    request: { params: ReferenceAssetParams },
    responses: {
      200: {
        description: 'JavaScript or CSS',
        content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } },
      },
      ...errorAnswers(400, 500),
    },
  }),
};
