/**
 * Downloads served at once by one gateway process. A download reads its result with one binary
 * COPY, which holds one of the pool's connections for the whole transfer — as long as the client
 * takes to read it. Unbounded, a handful of slow clients would hold every connection and stall
 * everything else the gateway does; bounded, a download past the limit waits in line for a place
 * (first come, first served) up to `waitMs` — small answers take milliseconds, so a burst of them
 * is served, not refused — and is refused with 429 and Retry-After only when none freed in time,
 * before anything is audited or read.
 */
export interface DownloadSlot {
  /** Frees the place once the transfer ends, however it ends (releasing twice is harmless). */
  release(): void;
}

export interface DownloadSlots {
  /** A place for one download, at once or within the wait; null when none freed in time. */
  take(): Promise<DownloadSlot | null>;
  readonly inUse: number;
  readonly waiting: number;
  readonly max: number;
}

/** How long a download waits for a place by default before 429. */
export const DOWNLOAD_WAIT_MS = 10_000;

export function createDownloadSlots(max: number, options: { waitMs?: number } = {}): DownloadSlots {
  if (!Number.isInteger(max) || max < 1) throw new Error(`download slots must be a positive integer, not ${max}`);
  const waitMs = options.waitMs ?? DOWNLOAD_WAIT_MS;
  let inUse = 0;
  const queue: Array<(slot: DownloadSlot) => void> = [];
  const slot = (): DownloadSlot => {
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        const next = queue.shift();
        // The place passes straight to the first in line: inUse stays as it is.
        if (next) next(slot());
        else inUse -= 1;
      },
    };
  };
  return {
    max,
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.length;
    },
    take() {
      if (inUse < max) {
        inUse += 1;
        return Promise.resolve(slot());
      }
      if (waitMs <= 0) return Promise.resolve(null);
      return new Promise((resolve) => {
        const waiter = (s: DownloadSlot) => {
          clearTimeout(timer);
          resolve(s);
        };
        const timer = setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          resolve(null);
        }, waitMs);
        queue.push(waiter);
      });
    },
  };
}
