import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { InquiryView } from '../../../../proto/api/inquiries';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { formatDateTime } from '../format';
import { navigate } from '../router';

/** Whether the next step of the chain is one the caller can fill: role, unit, not their own, not already theirs. */
export function awaitsMe(inquiry: InquiryView, me: { user: { username: string; roles: readonly string[] }; unit: { id: string } }): boolean {
  const next = inquiry.approvals.next;
  if (inquiry.state !== 'pending_approval' || !next) return false;
  if (inquiry.createdBy.username === me.user.username) return false;
  if (!me.user.roles.includes(next.role) || next.unitId !== me.unit.id) return false;
  return !inquiry.approvals.steps.some((s) => s.approvedBy.includes(me.user.username));
}

export function InquiryList({ mode }: { mode: 'mine' | 'queue' }) {
  const { t, i18n } = useTranslation();
  const { api, me } = useConsole();
  const [items, setItems] = useState<InquiryView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    setError(null);
    const query = mode === 'queue' ? { state: 'pending_approval' as const, limit: 200 } : { limit: 100 };
    api.listInquiries(query).then(
      (list) => setItems(mode === 'queue' ? list.items.filter((i) => awaitsMe(i, me)) : list.items.filter((i) => i.createdBy.username === me.user.username)),
      setError,
    );
  }, [api, me, mode]);
  useEffect(load, [load]);
  // Live enough for a desk: the list refreshes itself while it is open.
  useEffect(() => {
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <section>
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
