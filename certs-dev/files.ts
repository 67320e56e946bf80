import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A file of the dev PKI exists but cannot be used as it is (unparseable, or not the kind of key
 * the layout says). The generator never overwrites such a file on its own: it may be something a
 * person put there, and a truncated file hints at a problem worth seeing.
 */
export class DevPkiError extends Error {
  override readonly name = 'DevPkiError';
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly pkiDir: string,
  ) {
    super(`dev PKI file ${file} ${problem}. Delete it (or the whole ${pkiDir} folder) and run again to regenerate.`);
  }
}

export type FileAction = 'created' | 'reused' | 'replaced';

/** What one call did to one file; `path` is relative to the PKI dir, with forward slashes. */
export interface DevPkiFile {
  path: string;
  action: FileAction;
  /** Why a file was replaced (expired, issued by another CA …). */
  reason?: string;
}

/** Reads and writes files under one PKI dir, recording what happened to each. */
export class PkiFiles {
  readonly report: DevPkiFile[] = [];

  constructor(readonly dir: string) {}

  abs(rel: string): string {
    return path.join(this.dir, ...rel.split('/'));
  }

  corrupt(rel: string, problem: string): DevPkiError {
    return new DevPkiError(this.abs(rel), problem, this.dir);
  }

  record(rel: string, action: FileAction, reason?: string): void {
    this.report.push(reason === undefined ? { path: rel, action } : { path: rel, action, reason });
  }

  async read(rel: string): Promise<string | undefined> {
    try {
      return await readFile(this.abs(rel), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async readJson(rel: string): Promise<unknown> {
    const text = await this.read(rel);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.corrupt(rel, 'is not valid JSON');
    }
  }

  /**
   * Writes through a temporary file and a rename, so a process reading the folder at the same
   * time (an adapter starting up) sees the old or the new file, never half of one.
   */
  async write(rel: string, data: string, opts: { secret: boolean; action: FileAction; reason?: string }): Promise<void> {
    const target = this.abs(rel);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, data, { mode: opts.secret ? 0o600 : 0o644, flag: 'wx' });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    this.record(rel, opts.action, opts.reason);
  }

  writeJson(rel: string, value: unknown, opts: { secret: boolean; action: FileAction; reason?: string }): Promise<void> {
    return this.write(rel, `${JSON.stringify(value, null, 2)}\n`, opts);
  }

  /** A reused private key file is tightened to 0600 if someone loosened it. */
  async keepSecret(rel: string): Promise<void> {
    const file = this.abs(rel);
    const { mode } = await stat(file);
    if ((mode & 0o077) !== 0) await chmod(file, 0o600);
  }
}
