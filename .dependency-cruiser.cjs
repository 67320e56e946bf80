// The trust boundaries of Qiao, checked on every `npm test` (tests/boundaries.test.ts) and by
// `npm run check:boundaries`. Three sides — gateway/, adapters/ (the departments), client/ (the
// requesting unit) — trust each other only through the signed formats of proto/, so none may
// import another. A rule's name is what a failing check prints: keep names stable.
//
// Exemptions, each because a test must cross a boundary to be a real test:
//   - tests/ and bench/ boot the whole federation (gateway, adapters, command line) in one
//     process: they are on no side, so only `not-to-tests`, `no-circular` and
//     `not-to-unresolvable` apply to them.
//   - test files (*.test.ts) of proto/ and client/core/ run in Node under vitest and may use node:
//     modules (reading vector files, cross-checking with node:crypto); the modules they test may not.
//   - test files of gateway/routes/ may read the database (drizzle) to check what a route wrote;
//     the routes themselves may not.
// A test file inside a side is held to that side's rules like any other file of it.

/** The folders of the three sides; proto/ and demo/ may import none of them. */
const SIDES = '^(gateway|adapters|client)/';
const TEST_FILE = '[.]test[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'gateway-not-to-adapters',
      comment: 'The gateway talks to a department only over mutual-TLS gRPC with signed warrants; importing adapter code would let it skip the checks a department makes on its own.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^adapters/' },
    },
    {
      name: 'adapters-not-to-gateway',
      comment: 'A department runs the adapter kit without any gateway code: it trusts the gateway only through warrants it verifies itself.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^gateway/' },
    },
    {
      name: 'client-not-to-gateway',
      comment: 'A unit runs the client without any gateway code: it reads the gateway only through the HTTP API and the contract\'s schemas, and checks what the gateway relays.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^gateway/' },
    },
    {
      name: 'client-not-to-adapters',
      comment: 'The requesting unit trusts a department only through its signed receipt and the result envelope in proto/, never its code.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^adapters/' },
    },
    {
      name: 'gateway-not-to-client',
      comment: 'The gateway must never ship or run code of the side that holds the unit\'s private key and sees plaintext: it stays data-blind.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^client/' },
    },
    {
      name: 'proto-not-to-sides',
      comment: 'proto/ is the contract every side reads: it depends on no side, so each side can take it alone.',
      severity: 'error',
      from: { path: '^proto/' },
      to: { path: [SIDES, '^(demo|certs-dev|scripts|bench)/'] },
    },
    {
      name: 'proto-not-to-node-builtins',
      comment: 'The formats run in Node and in the browser console alike (WebCrypto and Uint8Array): only the Node-only parts — the gRPC service in proto/grpc/, node:crypto primitives in proto/node/ — and the scripts that write test vectors may use node: modules.',
      severity: 'error',
      from: { path: '^proto/', pathNot: ['^proto/(grpc|node)/', '^proto/vectors/make-[^/]+[.]ts$', TEST_FILE] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-code-not-to-node-only-proto',
      comment: 'The formats and client/core run in a browser: the Node-only parts of the contract (proto/grpc/, proto/node/) are handed in by the Node sides as parameters, never imported by the code a browser loads.',
      severity: 'error',
      from: { path: ['^proto/[^/]+$', '^client/core/'], pathNot: TEST_FILE },
      to: { path: '^proto/(grpc|node)/' },
    },
    {
      name: 'proto-not-to-grpc',
      comment: 'Only proto/grpc/ is the transport; the formats must not pull gRPC into a browser or a client.',
      severity: 'error',
      from: { path: '^proto/', pathNot: '^proto/grpc/' },
      to: { path: '(^|/)node_modules/@grpc/' },
    },
    {
      name: 'client-core-not-to-node-builtins',
      comment: 'client/core is what the web console imports: it runs in a browser, so file and process access stay in client/cli.',
      severity: 'error',
      from: { path: '^client/core/', pathNot: TEST_FILE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'routes-not-to-drivers',
      comment: 'A route only validates input, calls one domain function and maps errors: the database (drizzle, pg, PGlite) and the department calls (gRPC) are reached through services.',
      severity: 'error',
      from: { path: '^gateway/routes/', pathNot: TEST_FILE },
      to: { path: '(^|/)node_modules/(drizzle-orm|pg|@electric-sql/pglite|@grpc/[^/]+)/' },
    },
    {
      name: 'certs-dev-not-to-gateway',
      comment: 'The development PKI is a tool every side\'s developer runs: it reads the demo directory from demo/, not from the gateway.',
      severity: 'error',
      from: { path: '^certs-dev/' },
      to: { path: '^gateway/' },
    },
    {
      name: 'demo-not-to-sides',
      comment: 'The demo directory (units, users) is data the gateway\'s seed, the dev PKI and the launcher all read: it depends on the contract only.',
      severity: 'error',
      from: { path: '^demo/' },
      to: { path: SIDES },
    },
    {
      name: 'launcher-not-to-sides',
      comment: 'The command that starts the demo launches every process and imports none of them: each side must start on its own.',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: SIDES },
    },
    {
      name: 'not-to-tests',
      comment: 'tests/ may import anything, nothing but the benchmarks may import tests/: production code must not depend on a test harness.',
      severity: 'error',
      from: { pathNot: '^(tests|bench)/' },
      to: { path: '^tests/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes the layers meaningless (and breaks module start-up order): split the shared part out.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the checker cannot resolve is one it cannot check: fix the path, or install the package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no JS API: parse TypeScript with swc, which sees `import type` as well.
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    // node_modules is followed no further, but not excluded: the rules on packages need its modules.
    // The console's JSX (.tsx) is beyond this parser; what the console bundle is made of is checked
    // on the bundle itself instead (tests/console-bundle.test.ts: no gateway, adapter or Node-only code).
    exclude: { path: ['^([.]dev|[.]data|[.]qiao|[.]build|coverage)/', '^client/console/app/.*[.]tsx$'] },
    // Resolve packages as Node does for this ESM project (hono/streaming is an `exports` subpath).
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], mainFields: ['module', 'main', 'types'] },
  },
};
