import type { ServedLog } from './served-log';

/** One refused call, as the handlers know it. */
export interface RefusedCall {
  warrantSha256: string;
  reason: string;
  /** The calling address without its port (`call.getPeer()`), e.g. `ipv4:127.0.0.1`. */
  peer: string;
  jti?: string;
  inquiryId?: string;
}

export interface RefusalRecorder {
  record(call: RefusedCall): Promise<void>;
  /** Writes the counts of the window so far (at close). */
  flush(): Promise<void>;
}

/** Peers × reasons counted in one window; past it, calls are counted under peer `other`. */
const MAX_KEYS = 1000;
/** Warrant ids remembered as already recorded as refused, newest kept. */
const MAX_REMEMBERED_JTIS = 10_000;

/**
 * Refused calls on the served-warrant log without unbounded growth. Each distinct warrant id is
 * recorded on a line of its own, as before (reconcile matches them against the gateway's log);
 * so is the first refusal of each peer and reason in a window (a minute by default). Further
 * refusals without a new warrant id in that window — garbage, a replayed warrant, a flood — are
 * only counted, and one `refused` line per peer and reason with `count` closes the window. A
 * caller sending a million bad calls a minute adds two lines a minute per reason.
 */
export function createRefusalRecorder(log: ServedLog, options: { windowMs?: number; now?: () => number } = {}): RefusalRecorder {
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const recordedJtis = new Set<string>();
  let window = Math.floor(now() / windowMs);
  /** Per `peer reason`: the calls counted in this window beyond its first line, and the last warrant digest. */
  let counts = new Map<string, { peer: string; reason: string; count: number; warrantSha256: string }>();
  const seen = new Set<string>();

  async function closeWindow(): Promise<void> {
    const closing = counts;
    counts = new Map();
    seen.clear();
    for (const c of closing.values()) {
      if (c.count > 0) await log.append({ outcome: 'refused', warrantSha256: c.warrantSha256, reason: c.reason, peer: c.peer, count: c.count });
    }
  }

  return {
    async record(call) {
      const current = Math.floor(now() / windowMs);
      if (current !== window) {
        window = current;
        await closeWindow();
      }
      if (call.jti && !recordedJtis.has(call.jti)) {
        recordedJtis.add(call.jti);
        if (recordedJtis.size > MAX_REMEMBERED_JTIS) recordedJtis.delete(recordedJtis.values().next().value!);
        await log.append({ outcome: 'refused', warrantSha256: call.warrantSha256, reason: call.reason, peer: call.peer, jti: call.jti, ...(call.inquiryId ? { inquiryId: call.inquiryId } : {}) });
        return;
      }
      const peer = seen.size >= MAX_KEYS && !seen.has(`${call.peer} ${call.reason}`) ? 'other' : call.peer;
      const key = `${peer} ${call.reason}`;
      if (!seen.has(key)) {
        seen.add(key);
        await log.append({ outcome: 'refused', warrantSha256: call.warrantSha256, reason: call.reason, peer, ...(call.jti ? { jti: call.jti } : {}) });
        return;
      }
      const c = counts.get(key) ?? { peer, reason: call.reason, count: 0, warrantSha256: call.warrantSha256 };
      c.count += 1;
      c.warrantSha256 = call.warrantSha256;
      counts.set(key, c);
    },
    flush: closeWindow,
  };
}

/** `ipv4:127.0.0.1:53122` → `ipv4:127.0.0.1`; `ipv6:[::1]:53122` → `ipv6:[::1]`. */
export function peerAddress(peer: string): string {
  return peer.replace(/:\d+$/, '');
}
