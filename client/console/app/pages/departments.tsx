import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DepartmentsView } from '../../../../proto/api/departments';
import { useConsole } from '../context';
import { ErrorText } from '../error-text';
import { formatDateTime } from '../format';

/** The departments as the gateway sees them (GET /v1/departments): for auditors, administrators and a department's operator. */
export function DepartmentsPage() {
  const { t, i18n } = useTranslation();
  const { api } = useConsole();
  const [view, setView] = useState<DepartmentsView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    setError(null);
    api.departments().then(setView, setError);
  }, [api]);
  useEffect(load, [load]);
  const when = (iso: string | null) => (iso ? formatDateTime(iso, i18n.language) : t('departmentsPage.none'));

  return (
    <section aria-labelledby="departments-heading">
      <h2 id="departments-heading">{t('departmentsPage.heading')}</h2>
      {view && <p>{t('departmentsPage.intro', { since: formatDateTime(view.observedSince, i18n.language) })}</p>}
      <button type="button" onClick={load}>{t('departmentsPage.refresh')}</button>
      <ErrorText error={error} />
      {view && (
        <table className="departments">
          <thead>
            <tr>
              <th scope="col">{t('departmentsPage.name')}</th>
              <th scope="col">{t('departmentsPage.health')}</th>
              <th scope="col">{t('departmentsPage.version')}</th>
              <th scope="col">{t('departmentsPage.categories')}</th>
              <th scope="col">{t('departmentsPage.lastSuccess')}</th>
              <th scope="col">{t('departmentsPage.lastFailure')}</th>
              <th scope="col">{t('departmentsPage.refusals')}</th>
            </tr>
          </thead>
          <tbody>
            {view.departments.map((d) => {
              const served = d.servedCategories;
              const missing = served ? d.catalogueCategories.filter((c) => !served.includes(c)) : [];
              const refusals = Object.entries(d.refusals).sort(([, a], [, b]) => b - a);
              return (
                <tr key={d.name} data-health={d.health}>
                  <th scope="row">
                    {t(`departments.${d.name}`, { defaultValue: d.displayName ?? d.name })}
                    <br />
                    <code>{d.name}</code>
                  </th>
                  <td>{t(`departmentsPage.states.${d.health}`)}</td>
                  <td>{d.version ?? '—'}</td>
                  <td>
                    {(served ?? d.catalogueCategories).join(', ')}
                    {missing.length > 0 && <p>{t('departmentsPage.notServed', { list: missing.join(', ') })}</p>}
                  </td>
                  <td>{when(d.lastSuccessAt)}</td>
                  <td>{d.lastFailure ? <>{when(d.lastFailure.at)}<br />{d.lastFailure.reason}</> : t('departmentsPage.none')}</td>
                  <td>{refusals.length ? refusals.map(([code, n]) => <div key={code}><code>{code}</code> {n}</div>) : t('departmentsPage.none')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
