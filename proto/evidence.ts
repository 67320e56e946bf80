import { type FileEntry, Reader, ZipReader } from '@zip.js/zip.js';
import { strFromU8, strToU8, Zip, ZipDeflate, ZipPassThrough, zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { concatBytes, encodeHex } from './bytes';
import { createSha256, sha256, type CreateSha256 } from './hash';

/**
 * The evidence package (`.qiao-evidence`, docs/formats.md "Evidence package"): one ZIP file that
 * carries what is needed to check an inquiry offline — what was asked, who approved it, the exact
 * warrants, each department's ciphertext and signed receipt, the audit entries with inclusion
 * proofs to a signed checkpoint. Laid out like ETSI ASiC-E: `mimetype` first and stored, a
 * manifest under META-INF/ naming every other file with its SHA-256, so that a file changed,
 * removed or added is caught before anything is read; every part is then checked against the
 * verifier's own pinned keys (client/core/evidence.ts), never against keys the package brings.
 */

/** What export writes; v2 packages (no report.pdf, no approval rules) still verify. */
export const EVIDENCE_FORMAT = 'qiao-evidence-v3';
export const EVIDENCE_FORMATS = ['qiao-evidence-v2', EVIDENCE_FORMAT] as const;
export const EVIDENCE_MIMETYPE = 'application/vnd.qiao.evidence+zip';
export const MANIFEST_PATH = 'META-INF/manifest.json';
const PATH = /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

export const EvidenceManifest = z.strictObject({
  format: z.enum(EVIDENCE_FORMATS),
  inquiryId: z.string().min(1),
  createdAt: z.iso.datetime(),
  files: z.array(z.strictObject({ path: z.string().regex(PATH), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
export type EvidenceManifest = z.infer<typeof EvidenceManifest>;

/** A failed check of a package; `check` names it (container, manifest, file-digest, warrant, receipt, …). */
export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  constructor(
    readonly check: string,
    message: string,
  ) {
    super(`${check} check failed: ${message}`);
  }
}

const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');
const packagePath = (p: string) => PATH.test(p) && p !== 'mimetype' && !p.startsWith('META-INF/');
const manifestBytes = (manifest: EvidenceManifest) => strToU8(`${JSON.stringify(manifest, null, 2)}\n`);

/** Packs files (path → bytes) with their manifest. Deterministic for the same input: entries sorted, fixed timestamps. */
export function packEvidence(inquiryId: string, files: Readonly<Record<string, Uint8Array>>, createdAt: Date): Uint8Array {
  const paths = Object.keys(files).sort();
  for (const p of paths) if (!packagePath(p)) throw new Error(`cannot pack ${p}: not a package path`);
  const manifest: EvidenceManifest = {
    format: EVIDENCE_FORMAT, inquiryId, createdAt: createdAt.toISOString(),
    files: paths.map((path) => ({ path, bytes: files[path]!.length, sha256: encodeHex(sha256(files[path]!)) })),
  };
  const mtime = FIXED_MTIME;
  const zip: Zippable = { mimetype: [strToU8(EVIDENCE_MIMETYPE), { level: 0, mtime }] };
  zip[MANIFEST_PATH] = [manifestBytes(manifest), { mtime }];
  for (const p of paths) zip[p] = [files[p]!, { mtime }];
  return zipSync(zip);
}

/**
 * Writes a package as a stream, one file after the other, so that a ciphertext of any size passes
 * through in chunks and is never held whole: the manifest, which needs every file's digest, is
 * the last entry (a reader finds it by name; only `mimetype` has a fixed place). Each chunk is
 * handed to `sink` and awaited before the next is read, so memory stays at a chunk or two.
 * ZIP without ZIP64: a package stays under 4 GiB.
 */
export class EvidenceWriter {
  private readonly zip: Zip;
  private readonly out: Uint8Array[] = [];
  private failure: Error | undefined;
  private readonly listed: EvidenceManifest['files'] = [];
  private finished = false;

  constructor(
    private readonly inquiryId: string,
    private readonly createdAt: Date,
    private readonly sink: (chunk: Uint8Array) => Promise<void>,
    /** node:crypto's in Node (ten times faster on a large ciphertext than the portable default). */
    private readonly newSha256: CreateSha256 = createSha256,
  ) {
    this.zip = new Zip((error, chunk) => {
      if (error) this.failure = error;
      else this.out.push(chunk);
    });
    const mimetype = new ZipPassThrough('mimetype');
    mimetype.mtime = FIXED_MTIME;
    this.zip.add(mimetype);
    mimetype.push(strToU8(EVIDENCE_MIMETYPE), true);
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.out.length) await this.sink(this.out.shift()!);
  }

  /** Adds one file; `data` is its bytes or a stream of them (stored uncompressed: ciphertext does not compress). */
  async add(path: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    if (this.finished) throw new Error(`cannot add ${path}: the package is finished`);
    if (!packagePath(path)) throw new Error(`cannot pack ${path}: not a package path`);
    if (this.listed.some((f) => f.path === path)) throw new Error(`cannot pack ${path} twice`);
    const streamed = !(data instanceof Uint8Array);
    const file = streamed ? new ZipPassThrough(path) : new ZipDeflate(path);
    file.mtime = FIXED_MTIME;
    this.zip.add(file);
    const digest = this.newSha256();
    let bytes = 0;
    if (!streamed) {
      digest.update(data);
      bytes = data.length;
      file.push(data, true);
    } else {
      for await (const chunk of data) {
        digest.update(chunk);
        bytes += chunk.length;
        file.push(chunk);
        await this.flush();
      }
      file.push(new Uint8Array(0), true);
    }
    await this.flush();
    this.listed.push({ path, bytes, sha256: encodeHex(digest.digest()) });
  }

  /** Writes the manifest and the ZIP's central directory. */
  async finish(): Promise<EvidenceManifest> {
    this.finished = true;
    const manifest: EvidenceManifest = { format: EVIDENCE_FORMAT, inquiryId: this.inquiryId, createdAt: this.createdAt.toISOString(), files: [...this.listed].sort((a, b) => (a.path < b.path ? -1 : 1)) };
    const file = new ZipDeflate(MANIFEST_PATH);
    file.mtime = FIXED_MTIME;
    this.zip.add(file);
    file.push(manifestBytes(manifest), true);
    this.zip.end();
    await this.flush();
    return manifest;
  }
}

/**
 * Where a package is read from, by range: the ZIP's central directory is at its end, and each
 * member is read from its own offset, so a package is never loaded whole. A file in Node
 * (client/cli/evidence-files.ts `fileEvidenceSource`), a Blob in a browser, or bytes in memory.
 */
export interface EvidenceSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

class SourceReader extends Reader<EvidenceSource> {
  constructor(private readonly source: EvidenceSource) {
    super(source);
  }
  override async init(): Promise<void> {
    this.size = this.source.size;
  }
  override readUint8Array(index: number, length: number): Promise<Uint8Array> {
    return this.source.read(index, Math.min(length, this.source.size - index));
  }
}

export function bytesEvidenceSource(bytes: Uint8Array): EvidenceSource {
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Members above this size are not kept in memory once checked: they are read again, streamed, where needed (ciphertexts, records). */
const KEPT_BYTES = 8 * 1024 * 1024;

export interface OpenedEvidence {
  manifest: EvidenceManifest;
  /** Every member the manifest lists, each checked against its size and SHA-256. */
  paths: string[];
  /** The members at most 8 MiB: JSON, keys, checkpoints, the report. */
  files: Record<string, Uint8Array>;
  text(path: string): string;
  /** A member's bytes read again from the package, in chunks (a ciphertext of any size). */
  stream(path: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

async function* streamEntry(entry: FileEntry): AsyncIterable<Uint8Array> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const done = entry.getData(pipe.writable);
  const reader = pipe.readable.getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value;
    await done;
  } finally {
    reader.releaseLock();
    await done.catch(() => undefined);
  }
}

/**
 * Opens a package and checks its container and manifest: the right type, every file listed, none
 * unlisted or twice, every size and digest. Each member is streamed once through SHA-256; those
 * up to 8 MiB are kept, the others read again by range when a check needs their bytes, so memory
 * stays flat whatever the package's size.
 */
export async function openEvidence(input: Uint8Array | EvidenceSource, createDigest: CreateSha256 = createSha256): Promise<OpenedEvidence> {
  const source = input instanceof Uint8Array ? bytesEvidenceSource(input) : input;
  const zip = new ZipReader(new SourceReader(source), { useWebWorkers: false });
  let entries: FileEntry[];
  try {
    entries = (await zip.getEntries()).filter((e): e is FileEntry => !e.directory);
  } catch (error) {
    throw new EvidenceError('container', `not a ZIP file (${(error as Error).message})`);
  }
  const byName = new Map<string, FileEntry>();
  const twice = entries.filter((e) => byName.has(e.filename) || !byName.set(e.filename, e)).map((e) => e.filename);
  const first = entries[0];
  const readWhole = async (entry: FileEntry, what: string) =>
    parseChecked('container', what, async () => {
      const parts: Uint8Array[] = [];
      for await (const c of streamEntry(entry)) parts.push(c);
      return concat(parts);
    });
  if (!first || first.filename !== 'mimetype' || first.offset !== 0 || first.compressionMethod !== 0 || strFromU8(await readWhole(first, 'mimetype')) !== EVIDENCE_MIMETYPE) {
    throw new EvidenceError('container', `the first file must be "mimetype", stored, holding ${EVIDENCE_MIMETYPE}`);
  }
  if (twice.length) throw new EvidenceError('manifest', `the archive holds these names more than once: ${[...new Set(twice)].join(', ')}`);
  const manifestEntry = byName.get(MANIFEST_PATH);
  if (!manifestEntry) throw new EvidenceError('manifest', `${MANIFEST_PATH} is missing`);
  if (manifestEntry.uncompressedSize > KEPT_BYTES) throw new EvidenceError('manifest', `${MANIFEST_PATH} is ${manifestEntry.uncompressedSize} bytes, more than a manifest can be`);
  let manifest: EvidenceManifest;
  try {
    manifest = EvidenceManifest.parse(JSON.parse(strFromU8(await readWhole(manifestEntry, MANIFEST_PATH))));
  } catch (error) {
    throw new EvidenceError('manifest', `${MANIFEST_PATH} is not a ${EVIDENCE_FORMATS.join(' or ')} manifest (${(error as Error).message.slice(0, 200)})`);
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  const added = [...byName.keys()].filter((n) => n !== 'mimetype' && n !== MANIFEST_PATH && !listed.has(n));
  if (added.length) throw new EvidenceError('manifest', `files not in the manifest were added: ${added.join(', ')}`);
  const removed = manifest.files.filter((f) => !byName.has(f.path)).map((f) => f.path);
  if (removed.length) throw new EvidenceError('manifest', `files of the manifest were removed: ${removed.join(', ')}`);
  const files: Record<string, Uint8Array> = {};
  for (const f of manifest.files) {
    const digest = createDigest();
    const kept: Uint8Array[] = [];
    let bytes = 0;
    await parseChecked('file-digest', f.path, async () => {
      for await (const chunk of streamEntry(byName.get(f.path)!)) {
        digest.update(chunk);
        bytes += chunk.length;
        if (f.bytes <= KEPT_BYTES && bytes <= KEPT_BYTES) kept.push(chunk);
      }
    });
    const hex = encodeHex(digest.digest());
    if (bytes !== f.bytes || hex !== f.sha256) throw new EvidenceError('file-digest', `${f.path} is not the file the manifest names (SHA-256 ${hex}, ${bytes} bytes; manifest ${f.sha256}, ${f.bytes} bytes)`);
    if (bytes <= KEPT_BYTES) files[f.path] = concat(kept);
  }
  return {
    manifest, files,
    paths: manifest.files.map((f) => f.path),
    text(path) {
      const data = files[path];
      if (!data) throw new EvidenceError('manifest', byName.has(path) ? `${path} is too large to read whole` : `the package has no ${path}`);
      return strFromU8(data);
    },
    stream(path) {
      const entry = listed.has(path) ? byName.get(path) : undefined;
      if (!entry) throw new EvidenceError('manifest', `the package has no ${path}`);
      return streamEntry(entry);
    },
    close: () => zip.close(),
  };
}

async function parseChecked<T>(check: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof EvidenceError) throw error;
    throw new EvidenceError(check, `${what} cannot be read from the archive (${(error as Error).message.slice(0, 200)})`);
  }
}

/** One part is the member itself, not a copy of it. */
const concat = (parts: Uint8Array[]): Uint8Array => (parts.length === 1 ? parts[0]! : concatBytes(parts));
