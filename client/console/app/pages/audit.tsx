import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AUDIT_ACTIONS } from '../../../../proto/audit-entry';
import { parseAuditEntry, parseCheckpointKey, type AuditLogEntry } from '../../../../proto/audit-log';
import { ApiError } from '../../../core/api-client';
import { verifyAuditLog, type VerifyReport, type VerifyState } from '../../../core/audit-verify';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { formatDateTime } from '../format';

/** The last checkpoint this browser accepted: what the next verification must be consistent with. */
const STATE = 'qiao.audit.state';
const PAGE = 500;

interface Row {
  index: number;
  entry: AuditLogEntry;
}

export function AuditPage() {
  const { t, i18n } = useTranslation();
  const { api, config } = useConsole();
  const [size, setSize] = useState<number | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState({ action: '', unit: '', department: '', from: '', to: '' });
  const [report, setReport] = useState<(VerifyReport & { previous: VerifyState | null; key: string }) | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void (async () => {
      try {
        await requestCheckpoint();
        const checkpoint = await api.auditCheckpoint();
        setSize(checkpoint.size);
        const page = await api.auditEntries({ start: Math.max(0, checkpoint.size - PAGE), end: checkpoint.size });
        setRows(page.entries.map((e) => ({ index: e.index, entry: parseAuditEntry(e.entry) })).reverse());
      } catch (err) {
        setError(err);
      }
    })();
  }, [api]);

  const shown = useMemo(
    () =>
      rows.filter(({ entry }) => {
        const department = typeof entry.details.department === 'string' ? entry.details.department : '';
        if (filter.action && entry.action !== filter.action) return false;
        if (filter.unit && !(entry.actor?.unitId ?? '').startsWith(filter.unit.trim())) return false;
        if (filter.department && !department.includes(filter.department.trim())) return false;
        if (filter.from && entry.at < new Date(`${filter.from}T00:00:00+08:00`).toISOString()) return false;
        if (filter.to && entry.at >= new Date(new Date(`${filter.to}T00:00:00+08:00`).getTime() + 86_400_000).toISOString()) return false;
        return true;
      }),
    [rows, filter],
  );

  /** A fresh checkpoint covering the whole log, where the gateway signs one for this user; else the latest scheduled one. */
  async function requestCheckpoint() {
    await api.signCheckpoint().catch((err: unknown) => {
      if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 409)) throw err;
    });
  }

  async function verify() {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const keyResponse = await fetch('/directory/checkpoint-verifier.pub.jwk');
      if (!keyResponse.ok) throw new Error("this console's server publishes no pinned checkpoint key (/directory/checkpoint-verifier.pub.jwk)");
      const verifier = parseCheckpointKey(await keyResponse.text(), config.auditOrigin);
      await requestCheckpoint();
      const stored = localStorage.getItem(STATE);
      const previous = stored ? (JSON.parse(stored) as VerifyState) : null;
      const result = await verifyAuditLog({ get: api.getJson, verifier, origin: config.auditOrigin, state: previous });
      if (result.ok && result.state) localStorage.setItem(STATE, JSON.stringify(result.state));
      setReport({ ...result, previous, key: verifier.name });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const set = (k: keyof typeof filter) => (e: { target: { value: string } }) => setFilter({ ...filter, [k]: e.target.value });
  return (
    <section>
      <h2>{t('audit.heading')}</h2>
      {size !== null && <p>{t('audit.checkpoint', { size })}</p>}
      <button type="button" className="primary" onClick={() => void verify()} disabled={busy}>{t('audit.verify')}</button>
      {busy && <p role="status">{t('audit.verifying')}</p>}
      {report?.ok && (
        <p role="status" className="verified">
          ✓ {t('audit.ok', { entries: report.entries, key: report.key })}
          {report.previous ? t('audit.consistent', { size: report.previous.size }) : t('audit.firstRun')}
        </p>
      )}
      {report && !report.ok && (
        <div role="alert" className="error">
          {t('audit.failed')}
          <ul>{report.problems.map((p, i) => <li key={i}>{p.index !== undefined ? `#${p.index}: ` : ''}{p.message}</li>)}</ul>
        </div>
      )}
      <ErrorText error={error} />
      <fieldset className="filters">
        <label>{t('audit.action')} <select value={filter.action} onChange={set('action')}><option value="">{t('audit.anyAction')}</option>{AUDIT_ACTIONS.map((a) => <option key={a} value={a}>{a}</option>)}</select></label>
        <label>{t('audit.unit')} <input value={filter.unit} onChange={set('unit')} inputMode="numeric" maxLength={6} /></label>
        <label>{t('audit.department')} <input value={filter.department} onChange={set('department')} /></label>
        <label>{t('audit.from')} <input type="date" value={filter.from} onChange={set('from')} /></label>
        <label>{t('audit.to')} <input type="date" value={filter.to} onChange={set('to')} /></label>
      </fieldset>
      <p>{t('audit.shown', { shown: shown.length, total: rows.length })}</p>
      <table className="audit">
        <thead>
          <tr><th scope="col">#</th><th scope="col">{t('audit.time')}</th><th scope="col">{t('audit.action')}</th><th scope="col">{t('audit.actor')}</th><th scope="col">{t('audit.department')}</th><th scope="col">{t('audit.inquiry')}</th></tr>
        </thead>
        <tbody>
          {shown.map(({ index, entry }) => (
            <tr key={index} data-action={entry.action}>
              <td>{index}</td>
              <td>{formatDateTime(entry.at, i18n.language)}</td>
              <td>{entry.action}</td>
              <td>{entry.actor ? `${entry.actor.unitId}` : 'gateway'}</td>
              <td>{typeof entry.details.department === 'string' ? entry.details.department : ''}</td>
              <td><code>{entry.inquiryId ?? ''}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
