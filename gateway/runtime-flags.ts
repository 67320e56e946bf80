/**
 * V8 settings of the gateway process, applied by its first import (main.ts) before any other
 * module is evaluated, so before Cedar's Wasm is instantiated and before anything is optimised.
 *
 * `--no-turbo-inline-js-wasm-calls`: under load, gateway processes aborted (exit 133, "# Fatal
 * error … unreachable code" in v8::internal::Deoptimizer::DoComputeBuiltinContinuation, no
 * JavaScript stack) in the fan-out and policy paths. The lead: Node 20's V8 (11.3) inlines
 * JS→Wasm calls in TurboFan by default, and deoptimising such a frame builds a builtin
 * continuation frame for the Wasm call; the gateway calls Cedar's Wasm on every request. Without
 * the inlining the call goes through the regular JS-to-Wasm wrapper: a little slower per call,
 * and no such frame. `scripts/start.ts` passes the same flag on the command line (V8 flags are
 * not allowed in NODE_OPTIONS); setting it here covers every other way of starting the gateway.
 */
import { setFlagsFromString } from 'node:v8';

export const GATEWAY_V8_FLAGS = ['--no-turbo-inline-js-wasm-calls'] as const;

for (const flag of GATEWAY_V8_FLAGS) setFlagsFromString(flag);
