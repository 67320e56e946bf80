import { strToU8, unzipSync, Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { describe, expect, it } from 'vitest';
import { encodeHex } from './bytes';
import { EVIDENCE_MIMETYPE, EvidenceWriter, MANIFEST_PATH, openEvidence, packEvidence } from './evidence';
import { sha256 } from './hash';

async function* chunked(total: number, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < total; at += size) yield new Uint8Array(Math.min(size, total - at)).map((_, i) => (at + i) % 251);
}

describe('EvidenceWriter', () => {
  it('streams files into a package openEvidence accepts, mimetype first and stored, the manifest last with every digest', async () => {
    const parts: Uint8Array[] = [];
    const writer = new EvidenceWriter('i-1', new Date('2026-12-02T00:00:00Z'), async (c) => void parts.push(c));
    await writer.add('inquiry.json', new TextEncoder().encode('{"id":"i-1"}\n'));
    await writer.add('results/finance.bin', chunked(300_000, 65_536));
    const manifest = await writer.finish();
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);

    expect(new TextDecoder().decode(bytes.subarray(30, 38))).toBe('mimetype');
    const names = Object.keys(unzipSync(bytes));
    expect(names).toEqual(['mimetype', 'inquiry.json', 'results/finance.bin', MANIFEST_PATH]);
    const opened = await openEvidence(bytes);
    expect(opened.manifest).toEqual(manifest);
    const whole = new Uint8Array(300_000).map((_, i) => i % 251);
    expect(opened.files['results/finance.bin']).toEqual(whole);
    // Read again by range, in chunks.
    const streamed: Uint8Array[] = [];
    for await (const c of opened.stream('results/finance.bin')) streamed.push(c);
    expect(Buffer.concat(streamed)).toEqual(Buffer.from(whole));
    expect(manifest.files.find((f) => f.path === 'results/finance.bin')).toEqual({ path: 'results/finance.bin', bytes: 300_000, sha256: encodeHex(sha256(whole)) });
    expect(new TextDecoder().decode(unzipSync(bytes).mimetype)).toBe(EVIDENCE_MIMETYPE);
  });

  it('refuses a path twice, a reserved path, and a file after the end', async () => {
    const writer = new EvidenceWriter('i-1', new Date(), async () => {});
    await writer.add('a.json', new Uint8Array(1));
    await expect(writer.add('a.json', new Uint8Array(1))).rejects.toThrow('cannot pack a.json twice');
    await expect(writer.add('META-INF/x', new Uint8Array(1))).rejects.toThrow('not a package path');
    await writer.finish();
    await expect(writer.add('b.json', new Uint8Array(1))).rejects.toThrow('the package is finished');
  });
});

describe('openEvidence', () => {
  const refusal = (bytes: Uint8Array) => openEvidence(bytes).then(() => 'opened', (e: Error) => e.message);

  it('refuses an archive that holds a name twice (two readers could see two different files)', async () => {
    const pkg = packEvidence('i-1', { 'a.json': strToU8('{}') }, new Date('2026-12-02T00:00:00Z'));
    const parts: Uint8Array[] = [];
    const zip = new Zip((error, chunk) => { if (error) throw error; parts.push(chunk); });
    const add = (file: ZipPassThrough | ZipDeflate, data: Uint8Array) => { zip.add(file); file.push(data, true); };
    const entries = unzipSync(pkg);
    add(new ZipPassThrough('mimetype'), entries.mimetype!);
    add(new ZipDeflate('a.json'), entries['a.json']!);
    add(new ZipDeflate('a.json'), strToU8('{"other":1}'));
    add(new ZipDeflate(MANIFEST_PATH), entries[MANIFEST_PATH]!);
    zip.end();
    expect(await refusal(Buffer.concat(parts))).toBe('manifest check failed: the archive holds these names more than once: a.json');
  });

  it('refuses a mimetype that is not first or is compressed, and bytes that are no ZIP', async () => {
    const entries = unzipSync(packEvidence('i-1', { 'a.json': strToU8('{}') }, new Date()));
    const deflated = new Uint8Array(Buffer.concat((() => {
      const parts: Uint8Array[] = [];
      const zip = new Zip((error, chunk) => { if (error) throw error; parts.push(chunk); });
      for (const [name, data] of Object.entries(entries)) { const f = new ZipDeflate(name); zip.add(f); f.push(data, true); }
      zip.end();
      return parts;
    })()));
    expect(await refusal(deflated)).toMatch(/^container check failed: the first file must be "mimetype", stored/);
    expect(await refusal(strToU8('not a zip'))).toMatch(/^container check failed: not a ZIP file/);
  });
});
