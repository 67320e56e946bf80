import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.dev/**', '.data/**'],
    // The formats' signatures on node:crypto, as every Node process of the federation installs them.
    setupFiles: ['tests/setup-node.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers than that only makes PGlite and gRPC tests fight for CPU.
    maxWorkers: 2,
  },
});
