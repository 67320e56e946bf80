import type { DataSource } from '../kit/data-source';
import { DEMO_DEPARTMENTS } from '.';

/**
 * A demo department's source by name: what a source's worker thread (kit/source-threads.ts) calls
 * to build the same source the adapter's thread has.
 */
export function createDemoSource({ department, volume }: { department: string; volume?: number }): DataSource {
  const demo = DEMO_DEPARTMENTS[department];
  if (!demo) throw new Error(`unknown demo department ${department}`);
  return demo.createSource({ volume });
}
