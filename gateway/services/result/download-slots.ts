/**
 * Downloads served at once by one gateway process. A download reads its result with one binary
 * COPY, which holds one of the pool's connections for the whole transfer — as long as the client
 * takes to read it. Unbounded, a handful of slow clients would hold every connection and stall
 * everything else the gateway does; bounded, a download past the limit is refused at once with
 * 429 and Retry-After, before anything is audited or read.
 */
export interface DownloadSlots {
  /** A place for one download, or null when all are taken. Release it once the transfer ends, however it ends (releasing twice is harmless). */
  take(): { release(): void } | null;
  readonly inUse: number;
  readonly max: number;
}

export function createDownloadSlots(max: number): DownloadSlots {
  if (!Number.isInteger(max) || max < 1) throw new Error(`download slots must be a positive integer, not ${max}`);
  let inUse = 0;
  return {
    max,
    get inUse() {
      return inUse;
    },
    take() {
      if (inUse >= max) return null;
      inUse += 1;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          inUse -= 1;
        },
      };
    },
  };
}
