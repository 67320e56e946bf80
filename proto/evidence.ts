import { strFromU8, strToU8, unzipSync, Zip, ZipDeflate, ZipPassThrough, zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { encodeHex } from './bytes';
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

export const EVIDENCE_FORMAT = 'qiao-evidence-v2';
export const EVIDENCE_MIMETYPE = 'application/vnd.qiao.evidence+zip';
export const MANIFEST_PATH = 'META-INF/manifest.json';
const PATH = /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

export const EvidenceManifest = z.strictObject({
  format: z.literal(EVIDENCE_FORMAT),
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

export interface OpenedEvidence {
  manifest: EvidenceManifest;
  files: Record<string, Uint8Array>;
  text(path: string): string;
}

/** Opens a package and checks its container and manifest: the right type, every file listed, none unlisted, every digest. */
export function openEvidence(bytes: Uint8Array): OpenedEvidence {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new EvidenceError('container', `not a ZIP file (${(error as Error).message})`);
  }
  const names = Object.keys(entries);
  if (names[0] !== 'mimetype' || strFromU8(entries.mimetype!) !== EVIDENCE_MIMETYPE) {
    throw new EvidenceError('container', `the first file must be "mimetype" holding ${EVIDENCE_MIMETYPE}`);
  }
  if (!entries[MANIFEST_PATH]) throw new EvidenceError('manifest', `${MANIFEST_PATH} is missing`);
  let manifest: EvidenceManifest;
  try {
    manifest = EvidenceManifest.parse(JSON.parse(strFromU8(entries[MANIFEST_PATH]!)));
  } catch (error) {
    throw new EvidenceError('manifest', `${MANIFEST_PATH} is not a ${EVIDENCE_FORMAT} manifest (${(error as Error).message.slice(0, 200)})`);
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  const added = names.filter((n) => n !== 'mimetype' && n !== MANIFEST_PATH && !listed.has(n));
  if (added.length) throw new EvidenceError('manifest', `files not in the manifest were added: ${added.join(', ')}`);
  const removed = manifest.files.filter((f) => !entries[f.path]).map((f) => f.path);
  if (removed.length) throw new EvidenceError('manifest', `files of the manifest were removed: ${removed.join(', ')}`);
  const files: Record<string, Uint8Array> = {};
  for (const f of manifest.files) {
    const data = entries[f.path]!;
    const digest = encodeHex(sha256(data));
    if (data.length !== f.bytes || digest !== f.sha256) throw new EvidenceError('file-digest', `${f.path} is not the file the manifest names (SHA-256 ${digest}, manifest ${f.sha256})`);
    files[f.path] = data;
  }
  return {
    manifest, files,
    text(path) {
      const data = files[path];
      if (!data) throw new EvidenceError('manifest', `the package has no ${path}`);
      return strFromU8(data);
    },
  };
}
