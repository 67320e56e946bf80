import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { creditCodeProblem, residentIdProblem } from '../../../../proto/subjects';
import { ApiError } from '../../../core/api-client';
import { signSubmission } from '../../../core/signing';
import { mostSensitive, useCatalogue } from '../catalogue';
import { useConsole } from '../context';
import { authorityKey, unitEncryptionKey } from '../directory';
import { ErrorText } from '../error-text';
import { loadSigningKey, type StoredSigningKey } from '../keystore';
import { navigate } from '../router';

interface SubjectDraft {
  kind: 'person' | 'organisation';
  id: string;
}

/** The same checks and messages as the gateway's (proto/subjects.ts), as the user types. */
function subjectProblem(s: SubjectDraft): string | null {
  const id = s.id.trim().toUpperCase();
  if (!id) return null;
  return s.kind === 'person' ? residentIdProblem(id) : creditCodeProblem(id);
}

export function NewInquiry() {
  const { t } = useTranslation();
  const { api, me } = useConsole();
  // undefined: still looking in IndexedDB; null: none imported.
  const [signer, setSigner] = useState<StoredSigningKey | null | undefined>(undefined);
  useEffect(() => void loadSigningKey(me.user.username).then(setSigner, () => setSigner(null)), [me.user.username]);
  const [caseReference, setCaseReference] = useState('');
  const [legalBasis, setLegalBasis] = useState('');
  const [purpose, setPurpose] = useState('');
  const [subjects, setSubjects] = useState<SubjectDraft[]>([{ kind: 'person', id: '' }]);
  const [categories, setCategories] = useState<string[]>([]);
  const [entrusted, setEntrusted] = useState(false);
  const [onBehalfOf, setOnBehalfOf] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const { catalogue, error: catalogueError } = useCatalogue();
  const decisive = catalogue ? mostSensitive(catalogue, categories) : null;
  const sensitivity = decisive?.sensitivity ?? null;
  const chain = decisive?.approvalChain ?? [];
  const healthOf = (department: string) => catalogue?.departments.find((d) => d.name === department)?.health ?? 'not_configured';
  const problems = subjects.map(subjectProblem);

  const update = (i: number, change: Partial<SubjectDraft>) => setSubjects(subjects.map((s, j) => (j === i ? { ...s, ...change } : s)));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (problems.some(Boolean) || subjects.some((s) => !s.id.trim())) {
      setError(new Error(t('form.fixErrors')));
      return;
    }
    if (!signer) {
      setError(new Error(t('signingKey.needed')));
      return;
    }
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const request = {
        caseReference,
        legalBasis,
        purpose,
        subjects: subjects.map((s) => ({ kind: s.kind, id: s.id.trim().toUpperCase() })),
        categories,
        ...(entrusted && onBehalfOf ? { onBehalfOf: onBehalfOf.trim() } : {}),
      } as Parameters<typeof signSubmission>[0];
      // The recipient's key comes from the unit's own server, its certificate checked against the directory authority in signSubmission.
      const [authorityJwk, recipient] = await Promise.all([authorityKey(), unitEncryptionKey(request.onBehalfOf ?? me.unit.id)]);
      const created = await api.submitInquiry(await signSubmission(request, signer, { authorityJwk, recipient }));
      navigate(`/inquiries/${encodeURIComponent(created.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.details) setFieldErrors(Object.fromEntries(err.details.map((d) => [d.path, d.message])));
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const field = (path: string) => (fieldErrors[path] ? <span className="field-error" id={`err-${path}`}>{fieldErrors[path]}</span> : null);

  return (
    <form onSubmit={submit} className="inquiry-form" noValidate>
      <h2>{t('form.heading')}</h2>
      {signer === null && (
        <p className="notice">
          {t('signingKey.needed')} <a href="/signing-key" onClick={(e) => { e.preventDefault(); navigate('/signing-key'); }}>{t('nav.signingKey')}</a>
        </p>
      )}
      <label>
        {t('form.caseReference')}
        <input required value={caseReference} onChange={(e) => setCaseReference(e.target.value)} name="caseReference" />
        {field('caseReference')}
      </label>
      <label>
        {t('form.legalBasis')}
        <input required value={legalBasis} onChange={(e) => setLegalBasis(e.target.value)} name="legalBasis" />
        {field('legalBasis')}
      </label>
      <label>
        {t('form.purpose')}
        <textarea required value={purpose} onChange={(e) => setPurpose(e.target.value)} name="purpose" rows={3} />
        {field('purpose')}
      </label>
      <fieldset>
        <legend>{t('form.subjects')}</legend>
        {subjects.map((s, i) => (
          <div className="subject" key={i}>
            <label>
              {t('form.subjectKind')}
              <select value={s.kind} onChange={(e) => update(i, { kind: e.target.value as SubjectDraft['kind'] })}>
                <option value="person">{t('form.person')}</option>
                <option value="organisation">{t('form.organisation')}</option>
              </select>
            </label>
            <label>
              {t('form.subjectId')}
              <input
                value={s.id}
                name={`subject-${i}`}
                maxLength={18}
                spellCheck={false}
                autoComplete="off"
                aria-invalid={problems[i] ? true : undefined}
                aria-describedby={`subject-${i}-check`}
                onChange={(e) => update(i, { id: e.target.value })}
              />
            </label>
            <span id={`subject-${i}-check`} className={problems[i] ? 'field-error' : 'field-ok'} aria-live="polite">
              {problems[i] ?? (s.id.trim().length === 18 ? t('form.valid') : '')}
              {fieldErrors[`subjects[${i}].id`] ?? ''}
            </span>
            {subjects.length > 1 && <button type="button" onClick={() => setSubjects(subjects.filter((_, j) => j !== i))}>{t('form.removeSubject')}</button>}
          </div>
        ))}
        <button type="button" onClick={() => setSubjects([...subjects, { kind: 'person', id: '' }])}>{t('form.addSubject')}</button>
      </fieldset>
      <fieldset>
        <legend>{t('form.categories')}</legend>
        {!catalogue && <p>{t('app.loading')}</p>}
        <ErrorText error={catalogueError} />
        {catalogue?.categories.map((c) => (
          <label key={c.name} className="category">
            <input
              type="checkbox"
              name="category"
              value={c.name}
              checked={categories.includes(c.name)}
              onChange={(e) => setCategories(e.target.checked ? [...categories, c.name] : categories.filter((x) => x !== c.name))}
            />
            <code>{c.name}</code> {t(`categoryNames.${c.name}`, { defaultValue: c.description ?? c.name })} <span className={`badge ${c.sensitivity}`}>{t(`sensitivity.${c.sensitivity}`)}</span>
            {' '}<small className={`health ${healthOf(c.department)}`}>{t(`departments.${c.department}`, { defaultValue: c.department })}：{t(`health.${healthOf(c.department)}`)}</small>
          </label>
        ))}
        {sensitivity && (
          <p className="chain" aria-live="polite">
            {t('form.sensitivity', { level: t(`sensitivity.${sensitivity}`) })}
            {' · '}
            {t('form.approvalsNeeded', { chain: chain.map((s) => `${t(`roles.${s.role}`)} ×${s.count}`).join(' → ') })}
          </p>
        )}
      </fieldset>
      <label className="inline">
        <input type="checkbox" checked={entrusted} onChange={(e) => setEntrusted(e.target.checked)} /> {t('form.entrusted')}
      </label>
      {entrusted && (
        <label>
          {t('form.onBehalfOf')}
          <input value={onBehalfOf} onChange={(e) => setOnBehalfOf(e.target.value)} inputMode="numeric" maxLength={6} />
        </label>
      )}
      <ErrorText error={error} />
      <button type="submit" className="primary" disabled={busy || !signer}>{t('form.submit')}</button>
    </form>
  );
}
