import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { endpoints, type OpenApiDocument, type ReferenceAssetParams } from '../../../proto/api';
import { createRouter, route } from '../env';

/**
 * The API's own description, public: GET /openapi.json (generated from the contract's schemas by
 * the app that serves them) and GET /docs, a Swagger UI reference page. Its script and style sheet
 * are swagger-ui-dist's prebuilt files from node_modules, served here: the gateway's network
 * reaches no CDN, and a page that loads code from elsewhere would let that elsewhere read what the
 * page shows. The page starts Swagger UI from a script file of its own, so its policy allows no
 * inline script.
 */
export function referenceRoutes(describe: () => OpenApiDocument) {
  const dist = swaggerUiDir();
  const files = new Map<string, Promise<Buffer>>();
  const read = (name: string) => {
    if (!files.has(name)) files.set(name, readFile(join(dist, name)));
    return files.get(name)!;
  };
  return createRouter()
    .openapi(route(endpoints.openApiDocument), (c) => c.json(describe(), 200))
    .openapi(route(endpoints.apiReference), (c) => {
      c.header('content-security-policy', REFERENCE_PAGE_CSP);
      return c.html(REFERENCE_PAGE, 200);
    })
    .openapi(route(endpoints.apiReferenceAsset), async (c) => {
      const { asset } = c.req.valid('param') as ReferenceAssetParams;
      if (asset === 'start.js') {
        c.header('content-type', 'text/javascript; charset=utf-8');
        return c.body(START_SCRIPT, 200);
      }
      c.header('content-type', asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      c.header('cache-control', 'public, max-age=3600');
      return c.body(new Uint8Array(await read(asset)), 200);
    });
}

/** Where swagger-ui-dist keeps its prebuilt files (found beside its package.json). */
function swaggerUiDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    throw new Error('the API reference page needs swagger-ui-dist, which is not installed: run `npm install`');
  }
}

/** Starts Swagger UI on the page's #api-reference element with this gateway's document; nothing is fetched from elsewhere. */
const START_SCRIPT = `window.addEventListener('load', function () {
  window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#api-reference',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
`;

const REFERENCE_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Qiao gateway API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
  </head>
  <body>
    <div id="api-reference"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/start.js"></script>
  </body>
</html>
`;

/** Scripts, styles and the document from the gateway only; Swagger UI sets style attributes at run time, hence inline styles. */
const REFERENCE_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
