import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { JWK } from 'jose';
import { decryptResultLines, decryptResultStream, ResultCheckError, type DecryptedRecord, type ResultsListing } from '../../../core/results';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { loadUnitKey } from '../keystore';
import { RecordTables } from './record-tables';

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
   * A large answer: decrypted records go straight to a file on disk as their frames verify, never
   * kept in the page, so memory does not grow with the answer. A failed check aborts the file
   * (the browser discards what was written): no partial result is left behind as if it were whole.
   */
  async function saveToFile(department: string) {
    const summary = listing?.results.find((r) => r.department === department);
    if (!summary) return;
    const picker = (window as unknown as SaveFilePicker).showSaveFilePicker;
    if (!picker) {
      set(department, { phase: 'failed', check: 'browser', message: t('results.noFileApi') });
      return;
    }
    const stored = await loadUnitKey(me.unit.id);
    if (!stored) {
      set(department, { phase: 'failed', check: 'key', message: t('results.needKey') });
      return;
    }
    let handle;
    try {
      handle = await picker({ suggestedName: `${inquiryId}-${department}.ndjson`, types: [{ description: 'NDJSON', accept: { 'application/x-ndjson': ['.ndjson'] } }] });
    } catch {
      return; // the person closed the dialog
    }
    const file = await handle.createWritable();
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
        await file.write(run as Uint8Array<ArrayBuffer>);
      }
      await file.close();
      set(department, { phase: 'saved', records, file: handle.name });
    } catch (err) {
      await file.abort().catch(() => undefined);
      set(department, { phase: 'failed', check: err instanceof ResultCheckError ? err.check : 'download', message: (err as Error).message });
    }
  }

  const answered = useMemo(() => listing?.results.filter((r) => r.status === 'succeeded') ?? [], [listing]);
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
    </section>
  );
}
