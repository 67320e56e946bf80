import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CheckpointRejected, type CheckpointState } from '../../../../proto/audit-client';
import { parseAuditEntry, parseCheckpointKey, type AuditLogEntry } from '../../../../proto/audit-log';
import { reconcileDepartment, reportFailed, type ReconcileReport } from '../../../../proto/reconcile';
import { parseServedLog, ServedLogError } from '../../../../proto/served-log';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { formatDateTime } from '../format';

/** The last checkpoint this browser accepted for the department's reconciliation. */
const stateKey = (department: string) => `qiao.reconcile.state.${department}`;
/** Warrants younger than this wait for the next run: the latest checkpoint may not cover them yet (as `adapters/reconcile.ts --grace`). */
const GRACE_MS = 120_000;
const PAGE = 500;

/**
 * The department operator's page: its department's audit entries, and the reconciliation of the
 * department's served-warrant log (the file the adapter writes, picked here and read only in this
 * browser) against the gateway's audit log — proto/reconcile.ts, the same code as
 * `adapters/reconcile.ts`, every entry proven against a checkpoint signed by the pinned key and
 * consistent with the last one this browser accepted.
 */
export function OperatorPage() {
  const { t, i18n } = useTranslation();
  const { api, config, me } = useConsole();
  const department = me.user.department;
  const [rows, setRows] = useState<{ index: number; entry: AuditLogEntry }[] | null>(null);
  const [checkpointSize, setCheckpointSize] = useState<number | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<ReconcileReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!department) return;
    void (async () => {
      try {
        const checkpoint = await api.auditCheckpoint();
        const page = await api.auditEntries({ start: Math.max(0, checkpoint.size - PAGE), end: checkpoint.size, department });
        setCheckpointSize(checkpoint.size);
        setRows(page.entries.map((e) => ({ index: e.index, entry: parseAuditEntry(e.entry) })).reverse());
      } catch (err) {
        setError(err);
      }
    })();
  }, [api, department]);

  async function reconcile() {
    if (!department) return;
    if (!file) {
      setProblem(t('operator.pickLog'));
      return;
    }
    setBusy(true);
    setProblem(null);
    setError(null);
    setReport(null);
    try {
      const { entries } = parseServedLog(await file.text(), file.name);
      const keyResponse = await fetch('/directory/checkpoint-verifier.pub.jwk');
      if (!keyResponse.ok) throw new Error("this console's server publishes no pinned checkpoint key (/directory/checkpoint-verifier.pub.jwk)");
      const verifier = parseCheckpointKey(await keyResponse.text(), config.auditOrigin);
      const stored = localStorage.getItem(stateKey(department));
      const state = stored ? (JSON.parse(stored) as CheckpointState) : null;
      const result = await reconcileDepartment({ get: api.getJson, verifier, origin: config.auditOrigin, department, served: entries, state, graceMs: GRACE_MS });
      localStorage.setItem(stateKey(department), JSON.stringify(result.state));
      setReport(result);
    } catch (err) {
      if (err instanceof ServedLogError) setProblem(t('operator.badLog', { message: err.message }));
      else if (err instanceof CheckpointRejected) setProblem(t('operator.refused', { message: err.message }));
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (!department) return <section><h2>{t('operator.heading', { department: '—' })}</h2><p role="alert" className="error">{t('operator.noDepartment')}</p></section>;
  const name = t(`departments.${department}`, { defaultValue: department });
  const section = (title: string, items: string[]) =>
    items.length > 0 && (
      <div className="reconcile-section">
        <h4>{title} ({items.length})</h4>
        <ul>{items.map((item, i) => <li key={i}><code>{item}</code></li>)}</ul>
      </div>
    );
  return (
    <section>
      <h2>{t('operator.heading', { department: name })}</h2>
      <p>{t('operator.intro')}</p>
      <h3>{t('operator.reconcileHeading')}</h3>
      <label>
        {t('operator.logFile')} <input type="file" accept=".ndjson,application/x-ndjson" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <button type="button" className="primary" onClick={() => void reconcile()} disabled={busy}>{t('operator.reconcile')}</button>
      {busy && <p role="status">{t('operator.running')}</p>}
      {problem && <p role="alert" className="error">{problem}</p>}
      <ErrorText error={error} />
      {report && (
        <div className="reconcile-report" data-failed={reportFailed(report)}>
          <p role="status" className={reportFailed(report) ? 'error' : 'verified'}>
            {reportFailed(report) ? '✗ ' : '✓ '}
            {t(reportFailed(report) ? 'operator.disagree' : 'operator.agree', { matched: report.matched, size: report.checkpointSize })}
            {report.previousSize === undefined ? t('operator.firstRun') : t('operator.consistent', { size: report.previousSize })}
            {report.pending > 0 && t('operator.pending', { count: report.pending })}
          </p>
          {section(t('operator.servedNotLogged'), report.servedNotLogged.map((w) => `${w.warrantId} · ${w.outcome} ${w.at} · ${w.inquiryId ?? '?'} · sha256 ${w.warrantSha256}`))}
          {section(t('operator.digestMismatch'), report.digestMismatch.map((m) => `${m.served.warrantId}: ${m.served.warrantSha256} ≠ ${m.logged.sha256} (#${m.logged.index})`))}
          {section(t('operator.answerMismatch'), report.answerMismatch.map((m) => `${m.served.warrantId}: ${m.served.records} / ${m.served.ciphertextSha256} ≠ ${m.logged.records} / ${m.logged.sha256} (#${m.logged.index})`))}
          {section(t('operator.badEntries'), report.badEntries.map((b) => `#${b.index}: ${b.problem}`))}
          {section(t('operator.loggedNotServed'), report.loggedNotServed.map((l) => `${l.warrantId} (#${l.index}, ${l.at}, ${l.inquiryId ?? '?'})`))}
          {section(t('operator.refusedNotLogged'), report.refusedNotLogged.map((w) => `${w.warrantId || '?'} (${w.at}, sha256 ${w.warrantSha256})`))}
        </div>
      )}
      <h3>{t('operator.entriesHeading')}</h3>
      {checkpointSize !== null && <p>{t('operator.entriesUpTo', { size: checkpointSize })}</p>}
      {rows && rows.length === 0 && <p role="status">{t('operator.noEntries')}</p>}
      {rows && rows.length > 0 && (
        <table className="audit">
          <thead>
            <tr><th scope="col">#</th><th scope="col">{t('audit.time')}</th><th scope="col">{t('audit.action')}</th><th scope="col">{t('audit.inquiry')}</th></tr>
          </thead>
          <tbody>
            {rows.map(({ index, entry }) => (
              <tr key={index} data-action={entry.action}>
                <td>{index}</td>
                <td>{formatDateTime(entry.at, i18n.language)}</td>
                <td>{entry.action}</td>
                <td><code>{entry.inquiryId ?? ''}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
