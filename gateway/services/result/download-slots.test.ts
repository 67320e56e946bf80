import { describe, expect, it } from 'vitest';
import { createDownloadSlots } from './download-slots';

describe('download slots', () => {
  it('hands out at most max places, and a released one (once, however often released) can be taken again', async () => {
    const slots = createDownloadSlots(2, { waitMs: 0 });
    const a = (await slots.take())!;
    const b = (await slots.take())!;
    expect(await slots.take()).toBeNull();
    a.release();
    a.release();
    expect(slots.inUse).toBe(1);
    const c = await slots.take();
    expect(c).not.toBeNull();
    expect(await slots.take()).toBeNull();
    b.release();
    c!.release();
    expect(slots.inUse).toBe(0);
    expect(() => createDownloadSlots(0)).toThrow(/positive integer/);
  });

  it('lets a download past the limit wait in line for a freed place, first come first served, and refuses it when none frees in time', async () => {
    const slots = createDownloadSlots(1, { waitMs: 200 });
    const first = (await slots.take())!;
    const order: string[] = [];
    const second = slots.take().then((s) => (order.push('second'), s));
    const third = slots.take().then((s) => (order.push('third'), s));
    expect(slots.waiting).toBe(2);
    first.release();
    const s2 = await second;
    expect(s2).not.toBeNull();
    expect(slots.inUse).toBe(1);
    s2!.release();
    const s3 = await third;
    expect(order).toEqual(['second', 'third']);
    const refused = slots.take();
    expect(await refused).toBeNull(); // s3 still holds the only place for the whole wait
    expect(slots.waiting).toBe(0);
    s3!.release();
    expect(slots.inUse).toBe(0);
  });
});
