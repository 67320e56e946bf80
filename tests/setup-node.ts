/**
 * Every test file runs as the Node processes do (gateway/main.ts, adapters/main.ts, the command
 * line): the formats sign and verify with node:crypto (proto/node/eddsa.ts). jose's engine, the
 * browser's, is held to the same bytes and refusals by proto/node/eddsa.test.ts and runs in the
 * console's browser tests.
 */
import { useNodeEdDSA } from '../proto/node/eddsa';

useNodeEdDSA();
