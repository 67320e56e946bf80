import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { endpoints, type OpenApiDocument } from '../../../proto/api';
import { createRouter, route } from '../env';

/**
 * The API's own description, public: GET /openapi.json (generated from the contract's schemas by
 * the app that serves them) and GET /docs, the Scalar reference page. The page's script is the
 * Scalar standalone bundle from node_modules, served here: the gateway's network reaches no CDN,
 * and a page that loads code from elsewhere would let that elsewhere read what the page shows.
 */
export function referenceRoutes(describe: () => OpenApiDocument) {
  const bundle = scalarBundlePath();
  let script: Promise<Buffer> | undefined;
  return createRouter()
    .openapi(route(endpoints.openApiDocument), (c) => c.json(describe(), 200))
    .openapi(route(endpoints.apiReference), (c) => {
      c.header('content-security-policy', REFERENCE_PAGE_CSP);
      return c.html(REFERENCE_PAGE, 200);
    })
    .openapi(route(endpoints.apiReferenceScript), async (c) => {
      script ??= readFile(bundle);
      c.header('content-type', 'text/javascript; charset=utf-8');
      return c.body(new Uint8Array(await script), 200);
    });
}

/** Where @scalar/api-reference keeps its standalone browser bundle (not an exported path, so found beside its entry point). */
function scalarBundlePath(): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
  } catch {
    throw new Error('the API reference page needs @scalar/api-reference, which is not installed: run `npm install`');
  }
  return join(dirname(entry), 'browser', 'standalone.js');
}

/**
 * The page mounts Scalar on the `#api-reference` element; its configuration is data, not an
 * inline script, so the page's policy allows scripts from the gateway only. No fonts, telemetry
 * or hosted extras from outside: the policy would block them anyway.
 */
const CONFIGURATION = {
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  // Scalar's hosted extras (AI chat, MCP, SDK generation, sharing) would send the document to Scalar's services.
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
};

const REFERENCE_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Qiao gateway API</title>
  </head>
  <body>
    <script id="api-reference" type="application/json" data-url="/openapi.json" data-configuration="${JSON.stringify(CONFIGURATION).replaceAll('"', '&quot;')}"></script>
    <script src="/docs/scalar.js"></script>
  </body>
</html>
`;

/** Scripts from the gateway only; Scalar injects its styles at run time, hence inline styles. */
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
