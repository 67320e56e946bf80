import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from '../../adapters/kit';

/** A department that takes a moment per lookup, so calls are in flight when a fault comes. */
export function slow(source: DataSource, ms: number): DataSource {
  return {
    categories: source.categories,
    async lookup(category, subject) {
      await sleep(ms);
      const answer = await source.lookup(category, subject);
      if (Array.isArray(answer)) return answer;
      const out: Record<string, unknown>[] = [];
      for await (const batch of answer as AsyncIterable<readonly Record<string, unknown>[]>) out.push(...batch);
      return out;
    },
  };
}

/** Polls `check` until it holds, for at most `ms`: the operator's view of a process recovering. */
export async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}
