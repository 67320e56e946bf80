import { useEffect, useState } from 'react';
import { isFinalStatus } from '../../../../proto/api/events';
import { signDecisionOn } from '../../../core/signing';
import { useTranslation } from 'react-i18next';
import type { InquiryView } from '../../../../proto/api/inquiries';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { formatDateTime, formatSubjectId } from '../format';
import { loadSigningKey } from '../keystore';
import { useFollowInquiry } from '../live';
import { navigate } from '../router';
import { awaitsMe } from './inquiry-list';
import { ResultsView } from './results-view';

export function InquiryDetail({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const { api, me } = useConsole();
  const [inquiry, setInquiry] = useState<InquiryView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [comment, setComment] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  // Read once, then live from the event stream until the status is final (polling only if the stream fails).
  useEffect(() => void api.getInquiry(id).then(setInquiry, setError), [api, id]);
  useFollowInquiry(api, id, inquiry !== null && !isFinalStatus(inquiry.status), setInquiry);

  async function decide(decision: 'approve' | 'reject') {
    if (!comment.trim()) {
      setError(new Error(t('inquiry.needComment')));
      return;
    }
    setError(null);
    try {
      const signer = await loadSigningKey(me.user.username);
      if (!signer) {
        setError(new Error(t('signingKey.needed')));
        return;
      }
      // Signed over the statement as this page shows it, fetched afresh (the chain may have moved on).
      const current = await api.getInquiry(id);
      // A rejection names the role it is made in: the awaited step's, if this key is certified for it.
      const awaited = current.approvals.next?.role;
      const role = awaited === 'approver' || awaited === 'regional_approver' ? (signer.roles.includes(awaited) ? awaited : signer.roles.includes('approver') ? 'approver' : 'regional_approver') : 'approver';
      const signed = await signDecisionOn(current, decision, comment, signer, { role });
      setInquiry(decision === 'approve' ? await api.approve(id, { comment, signed }) : await api.reject(id, { comment, signed }));
      setNotice(t('inquiry.decided', { decision: t(`inquiry.${decision}`) }));
      setComment('');
    } catch (err) {
      setError(err);
    }
  }

  if (!inquiry) return <section><ErrorText error={error} /></section>;
  const mine = inquiry.createdBy.username === me.user.username;
  return (
    <section className="inquiry">
      <button type="button" onClick={() => history.length > 1 ? history.back() : navigate('/')}>{t('inquiry.back')}</button>
      <h2>{t('inquiry.heading', { id: inquiry.caseReference })}</h2>
      <dl className="facts">
        <dt>{t('list.status')}</dt><dd><span className={`status ${inquiry.status}`}>{t(`status.${inquiry.status}`)}</span></dd>
        <dt>{t('form.legalBasis')}</dt><dd>{inquiry.legalBasis}</dd>
        <dt>{t('form.purpose')}</dt><dd>{inquiry.purpose}</dd>
        <dt>{t('form.subjects')}</dt>
        <dd><ul>{inquiry.subjects.map((s) => <li key={s.id}><span className="subject-id">{formatSubjectId(s.kind, s.id)}</span> ({t(`form.${s.kind}`)})</li>)}</ul></dd>
        <dt>{t('form.categories')}</dt><dd>{inquiry.categories.map((c) => t(`categoryNames.${c}`, { defaultValue: c })).join('、')}</dd>
        <dt>{t('inquiry.sensitivity')}</dt><dd>{t(`sensitivity.${inquiry.sensitivity}`, { defaultValue: inquiry.sensitivity })}</dd>
        <dt>{t('inquiry.unit')}</dt><dd>{inquiry.unitId}{inquiry.submittedFromUnitId ? ` ← ${inquiry.submittedFromUnitId}` : ''}</dd>
        <dt>{t('inquiry.createdBy')}</dt><dd>{inquiry.createdBy.displayName} · {formatDateTime(inquiry.createdAt, i18n.language)}</dd>
      </dl>
      <h3>{t('inquiry.chain')}</h3>
      <ol className="chain">
        {inquiry.approvals.steps.map((s, n) => (
          <li key={n}>{t('inquiry.step', { n: n + 1, role: t(`roles.${s.role}`, { defaultValue: s.role }), unit: s.unitId, count: s.count, by: s.approvedBy.join('、') || t('inquiry.nobody') })}</li>
        ))}
      </ol>
      {inquiry.decisions.length > 0 && (
        <>
          <h3>{t('inquiry.decisions')}</h3>
          <ul className="decisions">
            {inquiry.decisions.map((d, n) => <li key={n}>{formatDateTime(d.decidedAt, i18n.language)} · {d.username} · {t(`inquiry.${d.decision}`)} · {d.comment}</li>)}
          </ul>
        </>
      )}
      {awaitsMe(inquiry, me) && (
        <div className="decide">
          <label>
            {t('inquiry.comment')}
            <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} />
          </label>
          <button type="button" className="primary" onClick={() => void decide('approve')}>{t('inquiry.approve')}</button>
          <button type="button" className="danger" onClick={() => void decide('reject')}>{t('inquiry.reject')}</button>
        </div>
      )}
      {notice && <p role="status">{notice}</p>}
      <ErrorText error={error} />
      {mine && inquiry.state === 'approved' && <ResultsView inquiryId={inquiry.id} />}
    </section>
  );
}
