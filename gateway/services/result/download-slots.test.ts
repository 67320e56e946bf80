import { describe, expect, it } from 'vitest';
import { createDownloadSlots } from './download-slots';

describe('download slots', () => {
  it('hands out at most max places, and a released one (once, however often released) can be taken again', () => {
    const slots = createDownloadSlots(2);
    const a = slots.take()!;
    const b = slots.take()!;
    expect(slots.take()).toBeNull();
    a.release();
    a.release();
    expect(slots.inUse).toBe(1);
    const c = slots.take();
    expect(c).not.toBeNull();
    expect(slots.take()).toBeNull();
    b.release();
    c!.release();
    expect(slots.inUse).toBe(0);
    expect(() => createDownloadSlots(0)).toThrow(/positive integer/);
  });
});
