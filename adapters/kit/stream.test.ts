import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptFrames } from '../../proto/result-envelope';
import { NODE_ENVELOPE } from '../../proto/node/primitives';
import type { WarrantClaims } from '../../proto/warrant';
import type { NdjsonBatch } from './project';
import { streamAnswer } from './stream';
import { jwkPair, newEd25519PrivateKey, newP256PrivateKey } from '../../proto/node/keys';

/** A stand-in for gRPC's server stream: it keeps what is written and never pushes back. */
function recordingCall() {
  const frames: { header?: unknown; chunk?: Uint8Array; trailer?: { records: number; bytes: number; sha256: string } }[] = [];
  return { frames, call: { cancelled: false, write: (frame: (typeof frames)[number]) => frames.push(frame) > 0, end: () => {} } };
}

async function* batchesOf(texts: string[]): AsyncGenerator<NdjsonBatch> {
  for (const text of texts) yield { text, records: text.split('\n').length - 1 };
}

describe('streamAnswer', () => {
  it('sends the batches’ text byte for byte, multi-byte characters and batches larger than its buffer included', async () => {
    const recipient = jwkPair(newP256PrivateKey());
    const receipt = jwkPair(newEd25519PrivateKey());
    const line = (i: number) => `{"n":${i},"memo":"草原生态保护补助奖励 ${'ä'.repeat(i % 7)}","emoji":"🐑"}\n`;
    const small = Array.from({ length: 3000 }, (_, i) => line(i));
    // One batch of ~1 MiB (more than the buffer streamAnswer writes into), then small ones again.
    const texts = [...small.slice(0, 1500), small.slice(0, 1500).join('').repeat(8), ...small.slice(1500), ''];
    const { frames, call } = recordingCall();
    const claims = { jti: 'w-1', inquiry_id: 'i-1', recipient: { key: recipient.publicJwk } } as WarrantClaims;
    const served = await streamAnswer(call as never, {
      claims,
      department: 'bank',
      batches: batchesOf(texts),
      receiptKey: { ...receipt.privateJwk, kid: 'receipt-1' },
    });
    const chunks = frames.flatMap((f) => (f.chunk ? [f.chunk] : []));
    const plaintext: Uint8Array[] = [];
    for await (const piece of decryptFrames(chunks, recipient.privateJwk, { warrantId: 'w-1', department: 'bank' }, NODE_ENVELOPE)) plaintext.push(piece);
    expect(Buffer.concat(plaintext).toString('utf8')).toBe(texts.join(''));
    expect(served.records).toBe(3000 + 1500 * 8);
    expect(frames.at(-1)?.trailer).toMatchObject({ records: served.records, bytes: Buffer.concat(chunks).length, sha256: createHash('sha256').update(Buffer.concat(chunks)).digest('hex') });
  });
});
