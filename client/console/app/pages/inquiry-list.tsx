import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isFinalStatus } from '../../../../proto/api/events';
import type { InquiryView } from '../../../../proto/api/inquiries';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { formatDateTime } from '../format';
import { MAX_STREAMS, useFollowInquiry } from '../live';
import { navigate } from '../router';

/** Whether the next step of the chain is one the caller can fill: role, unit, not their own, not already theirs. */
export function awaitsMe(inquiry: InquiryView, me: { user: { username: string; roles: readonly string[] }; unit: { id: string } }): boolean {
  const next = inquiry.approvals.next;
  if (inquiry.state !== 'pending_approval' || !next) return false;
  if (inquiry.createdBy.username === me.user.username) return false;
  if (!me.user.roles.includes(next.role) || next.unitId !== me.unit.id) return false;
  return !inquiry.approvals.steps.some((s) => s.approvedBy.includes(me.user.username));
}

/** Renders nothing: follows one inquiry's event stream and hands each new view up. */
function Follow({ id, onView }: { id: string; onView: (view: InquiryView) => void }) {
  const { api } = useConsole();
  useFollowInquiry(api, id, true, onView);
  return null;
}

/** The list itself has no event stream: new inquiries appear on this slow re-read or the refresh button. */
const RELIST_MS = 30_000;

export function InquiryList({ mode }: { mode: 'mine' | 'queue' }) {
  const { t, i18n } = useTranslation();
  const { api, me } = useConsole();
  const [all, setAll] = useState<InquiryView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    setError(null);
    const query = mode === 'queue' ? { state: 'pending_approval' as const, limit: 200 } : { limit: 100 };
    api.listInquiries(query).then((list) => setAll(list.items), setError);
  }, [api, mode]);
  useEffect(load, [load]);
  useEffect(() => {
    const timer = setInterval(load, RELIST_MS);
    return () => clearInterval(timer);
  }, [load]);
  const replace = useCallback((view: InquiryView) => setAll((list) => list && list.map((i) => (i.id === view.id ? view : i))), []);

  const items = all && all.filter((i) => (mode === 'queue' ? awaitsMe(i, me) : i.createdBy.username === me.user.username));
  // Live status for the first few open inquiries on screen (the newest); the rest on the re-read.
  const followed = (items ?? []).filter((i) => !isFinalStatus(i.status)).slice(0, MAX_STREAMS);

  return (
    <section>
      {followed.map((i) => <Follow key={i.id} id={i.id} onView={replace} />)}
      <h2>{mode === 'queue' ? t('list.queueHeading') : t('list.heading')}</h2>
      <button type="button" onClick={load}>{t('list.refresh')}</button>
      <ErrorText error={error} />
      {items && items.length === 0 && <p>{mode === 'queue' ? t('list.queueEmpty') : t('list.empty')}</p>}
      {items && items.length > 0 && (
        <table className="inquiries">
          <thead>
            <tr>
              <th scope="col">{t('list.created')}</th>
              <th scope="col">{t('list.case')}</th>
              <th scope="col">{t('list.status')}</th>
              <th scope="col">{mode === 'queue' ? t('form.categories') : t('list.parts')}</th>
              <th scope="col"><span className="sr-only">{t('list.open')}</span></th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} data-inquiry={i.id}>
                <td>{formatDateTime(i.createdAt, i18n.language)}</td>
                <td>{i.caseReference}<br /><small>{i.purpose}</small></td>
                <td><span className={`status ${i.status}`}>{t(`status.${i.status}`)}</span></td>
                {mode === 'queue' ? (
                  <td>
                    {i.categories.map((c) => t(`categoryNames.${c}`, { defaultValue: c })).join('、')}
                    <br />
                    <span className={`badge ${i.sensitivity}`}>{t(`sensitivity.${i.sensitivity}`, { defaultValue: i.sensitivity })}</span>{' '}
                    <small>{i.subjects.length} · {i.legalBasis}</small>
                  </td>
                ) : (
                <td>{i.parts.map((p) => `${t(`departments.${p.department}`, { defaultValue: p.department })}：${t(`status.${p.status}`)}`).join(' · ') || '—'}</td>
                )}
                <td><a href={`/inquiries/${i.id}`} onClick={(e) => { e.preventDefault(); navigate(`/inquiries/${encodeURIComponent(i.id)}`); }}>{t('list.open')}<span className="sr-only"> {i.caseReference}</span></a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
