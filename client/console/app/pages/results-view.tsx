import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { JWK } from 'jose';
import { decryptResultLines, decryptResultStream, ResultCheckError, type DecryptedRecord, type ResultsListing } from '../../../core/results';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { loadUnitKey } from '../keystore';
import { RecordTables } from './record-tables';

/** Its own chunk: the comparison UI and, behind it, duckdb-wasm load only once records are decrypted. */
const Comparison = lazy(() => import('../compare/comparison'));

/**
 * The departments' receipt keys come from the directory's publication as the unit's own server
 * serves it (client/console/serve.ts --directory) — never from the gateway, which relays the
 * receipts and so must not vouch for the key that signs them.
 */
async function receiptKey(department: string): Promise<JWK> {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(department)) throw new ResultCheckError(`invalid department name ${JSON.stringify(department)}`, 'receipt');
  const response = await fetch(`/directory/receipts/${department}.pub.jwk`);
  if (!response.ok) throw new ResultCheckError(`${department}: receipt check failed: the directory publishes no receipt key for it on this console's server`, 'receipt');
  const jwk = (await response.json()) as JWK;
  if ('d' in jwk) throw new ResultCheckError(`${department}: the published receipt key holds a private part`, 'receipt');
  return jwk;
}

type PartState =
  | { phase: 'idle' }
  | { phase: 'running'; bytes: number; total: number }
  | { phase: 'done'; records: DecryptedRecord[] }
  | { phase: 'saved'; records: number; file: string }
  | { phase: 'failed'; check: string; message: string };

/** What the File System Access API gives (Chromium, Edge); declared here, the DOM's types do not have it yet. */
interface SaveFilePicker {
  showSaveFilePicker?: (options: { suggestedName: string; types?: { description: string; accept: Record<string, string[]> }[] }) => Promise<{
    name: string;
    createWritable(): Promise<{ write(data: string | Uint8Array<ArrayBuffer>): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  }>;
}

/** Where a large answer's verified lines go: a file on disk, or a download the browser assembles. */
interface Sink {
  name: string;
  write(run: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Without the File System Access API (Firefox, Safari): the verified lines are handed to the
 * browser as Blob parts of at most BLOB_PART bytes as they come, and the page keeps only the part
 * being filled — the browser's blob store holds the rest, in memory up to its limit and then on
 * disk (Chromium pages large blobs out). The cost: the file reaches the Downloads folder only when
 * the whole answer has verified, and until then the browser holds a copy of it; so answers above
 * BLOB_FALLBACK_LIMIT are refused here (the command line's `qiao results --out` streams any size).
 */
const BLOB_PART = 4 * 1024 * 1024;
export const BLOB_FALLBACK_LIMIT = 2 * 1024 ** 3;

function blobDownload(name: string): Sink {
  const parts: Blob[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    parts.push(new Blob(pending as Uint8Array<ArrayBuffer>[]));
    pending = [];
    pendingBytes = 0;
  };
  return {
    name,
    async write(run) {
      pending.push(run);
      pendingBytes += run.length;
      if (pendingBytes >= BLOB_PART) flush();
    },
    async close() {
      flush();
      const url = URL.createObjectURL(new Blob(parts, { type: 'application/x-ndjson' }));
      parts.length = 0;
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      // The download has its own reference to the blob once started; the URL is only its way there.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
    async abort() {
      pending = [];
      parts.length = 0;
    },
  };
}

const NEWLINE = 0x0a;
const countLines = (run: Uint8Array) => {
  let n = 0;
  for (let i = 0; i < run.length; i++) if (run[i] === NEWLINE) n++;
  return n;
};

export function ResultsView({ inquiryId }: { inquiryId: string }) {
  const { t } = useTranslation();
  const { api, me } = useConsole();
  const [listing, setListing] = useState<ResultsListing | null>(null);
  const [parts, setParts] = useState<Record<string, PartState>>({});
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void api.listResults(inquiryId).then(setListing, setError), [api, inquiryId]);
  const set = (department: string, state: PartState) => setParts((p) => ({ ...p, [department]: state }));

  async function open(department: string) {
    const summary = listing?.results.find((r) => r.department === department);
    if (!summary) return;
    const stored = await loadUnitKey(me.unit.id);
    if (!stored) {
      set(department, { phase: 'failed', check: 'key', message: t('results.needKey') });
      return;
    }
    set(department, { phase: 'running', bytes: 0, total: summary.bytes ?? 0 });
    const records: DecryptedRecord[] = [];
    try {
      for await (const record of decryptResultStream(api, inquiryId, summary, {
        privateKey: stored.key,
        receiptKeys: receiptKey,
        onProgress: (bytes, total) => set(department, { phase: 'running', bytes, total }),
      })) records.push(record);
      set(department, { phase: 'done', records });
    } catch (err) {
      // Records already decrypted are dropped: a result that fails a check is shown not at all.
      set(department, { phase: 'failed', check: err instanceof ResultCheckError ? err.check : 'download', message: (err as Error).message });
    }
  }

  /**
   * A large answer: decrypted records go straight to a file on disk as their frames verify (or,
   * without the File System Access API, to Blob parts downloaded once all verified), never kept
   * in the page, so memory does not grow with the answer. A failed check aborts the file (the
   * browser discards what was written): no partial result is left behind as if it were whole.
   */
  async function saveToFile(department: string) {
    const summary = listing?.results.find((r) => r.department === department);
    if (!summary) return;
    const picker = (window as unknown as SaveFilePicker).showSaveFilePicker;
    if (!picker && (summary.bytes ?? 0) > BLOB_FALLBACK_LIMIT) {
      set(department, { phase: 'failed', check: 'browser', message: t('results.tooLargeForDownload', { limit: '2 GiB' }) });
      return;
    }
    const stored = await loadUnitKey(me.unit.id);
    if (!stored) {
      set(department, { phase: 'failed', check: 'key', message: t('results.needKey') });
      return;
    }
    const name = `${inquiryId}-${department}.ndjson`;
    let file: Sink;
    if (picker) {
      let handle;
      try {
        handle = await picker({ suggestedName: name, types: [{ description: 'NDJSON', accept: { 'application/x-ndjson': ['.ndjson'] } }] });
      } catch {
        return; // the person closed the dialog
      }
      const writable = await handle.createWritable();
      file = { name: handle.name, write: (run) => writable.write(run as Uint8Array<ArrayBuffer>), close: () => writable.close(), abort: () => writable.abort() };
    } else {
      file = blobDownload(name);
    }
    set(department, { phase: 'running', bytes: 0, total: summary.bytes ?? 0 });
    let records = 0;
    try {
      // The department's NDJSON lines go to the file as they verify, byte for byte (framing and
      // UTF-8 checked, nothing parsed): parsing and serialising every record again made garbage
      // faster than the page collected it, so the heap grew with the answer.
      for await (const run of decryptResultLines(api, inquiryId, summary, {
        privateKey: stored.key,
        receiptKeys: receiptKey,
        onProgress: (bytes, total) => set(department, { phase: 'running', bytes, total }),
      })) {
        records += countLines(run);
        await file.write(run);
      }
      await file.close();
      set(department, { phase: 'saved', records, file: file.name });
    } catch (err) {
      await file.abort().catch(() => undefined);
      set(department, { phase: 'failed', check: err instanceof ResultCheckError ? err.check : 'download', message: (err as Error).message });
    }
  }

  const answered = useMemo(() => listing?.results.filter((r) => r.status === 'succeeded') ?? [], [listing]);
  // The decrypted records with refs `<inquiry>/<department>/<n>`, as `qiao compare` names them.
  const sourced = useMemo(
    () => answered.flatMap((r) => {
      const state = parts[r.department];
      return state?.phase === 'done' ? state.records.map((record, i) => ({ ref: `${inquiryId}/${r.department}/${i + 1}`, inquiryId, department: r.department, record })) : [];
    }),
    [answered, parts, inquiryId],
  );
  return (
    <section className="results" aria-labelledby="results-heading">
      <h3 id="results-heading">{t('results.heading')}</h3>
      <ErrorText error={error} />
      {listing && answered.length === 0 && <p>{t('results.none')}</p>}
      {answered.map((r) => {
        const state = parts[r.department] ?? { phase: 'idle' };
        return (
          <article key={r.department} className="part" data-department={r.department}>
            <h4>{t(`departments.${r.department}`, { defaultValue: r.department })} · {r.categories.map((c) => t(`categoryNames.${c}`, { defaultValue: c })).join('、')} · {t('results.records', { count: r.records ?? 0 })}</h4>
            {state.phase !== 'running' && state.phase !== 'done' && (
              <div className="part-actions">
                <button type="button" onClick={() => void open(r.department)}>{t('results.decrypt')}</button>
                <button type="button" onClick={() => void saveToFile(r.department)}>{t('results.saveToFile')}</button>
              </div>
            )}
            {state.phase === 'saved' && <p role="status" className="verified">✓ {t('results.saved', { records: state.records, file: state.file })}</p>}
            {state.phase === 'running' && (
              <p>
                {t('results.checking')} <progress max={state.total || 1} value={state.bytes} aria-label={t('results.progress', { done: state.bytes, total: state.total })} />{' '}
                {Math.floor((100 * state.bytes) / (state.total || 1))}%
              </p>
            )}
            {state.phase === 'failed' && <p role="alert" className="error check-failed" data-check={state.check}>{t('results.failed', { check: state.check, message: state.message })}</p>}
            {state.phase === 'done' && (
              <>
                <p role="status" className="verified">✓ {t('results.verified', { records: state.records.length })}</p>
                <RecordTables records={state.records} name={`${inquiryId}-${r.department}`} />
              </>
            )}
          </article>
        );
      })}
      {sourced.length > 0 && (
        <Suspense fallback={<p>{t('app.loading')}</p>}>
          <Comparison records={sourced} />
        </Suspense>
      )}
    </section>
  );
}
