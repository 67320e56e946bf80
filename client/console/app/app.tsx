import i18next from 'i18next';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { createApiClient } from '../../core/api-client';
import type { Me } from '../../../proto/api/me';
import { currentSession, finishLogin, logout, type Session } from './auth';
import type { ConsoleConfig } from './config';
import { Console } from './context';
import { ErrorText } from './error-text';
import { LanguageSwitch } from './language-switch';
import { pagesEn, pagesZhCN } from './locales/pages';
import { AuditPage } from './pages/audit';
import { DepartmentsPage } from './pages/departments';
import { LoginPage } from './pages/login';
import { InquiryDetail } from './pages/inquiry-detail';
import { InquiryList } from './pages/inquiry-list';
import { NewInquiry } from './pages/new-inquiry';
import { OperatorPage } from './pages/operator';
import { SigningKeyPage } from './pages/signing-key';
import { UnitKeyPage } from './pages/unit-key';
import { navigate, usePath } from './router';

// The signed-in pages' strings arrive with this chunk (locales/pages.ts).
i18next.addResourceBundle('zh-CN', 'translation', pagesZhCN, true, false);
i18next.addResourceBundle('en', 'translation', pagesEn, true, false);

export function App({ config }: { config: ConsoleConfig }) {
  const { t } = useTranslation();
  const path = usePath();
  const [session, setSession] = useState<Session | null>(() => currentSession());
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>(null);
  const api = useMemo(() => createApiClient({ baseUrl: config.gateway, ...(session ? { token: session.accessToken } : {}) }), [config, session]);

  useEffect(() => {
    if (path !== '/callback') return;
    finishLogin(config, new URL(location.href)).then(
      (s) => {
        setSession(s);
        history.replaceState(null, '', '/');
        dispatchEvent(new PopStateEvent('popstate'));
      },
      (err: unknown) => {
        setError(err);
        history.replaceState(null, '', '/');
      },
    );
  }, [path, config]);

  useEffect(() => {
    if (!session) return;
    api.me().then(setMe, (err: unknown) => {
      setError(err);
      logout();
      setSession(null);
    });
  }, [api, session]);

  if (path === '/callback') return <main className="centered"><p>{t('login.finishing')}</p></main>;
  if (!session) return <LoginPage config={config} error={error} />;
  if (!me) return <main className="centered"><p>{t('app.loading')}</p><ErrorText error={error} /></main>;

  const roles = new Set<string>(me.user.roles);
  const links = [
    ...(roles.has('investigator') ? [{ path: '/new', label: t('nav.newInquiry') }, { path: '/inquiries', label: t('nav.inquiries') }, { path: '/key', label: t('nav.key') }] : []),
    ...(roles.has('approver') || roles.has('regional_approver') ? [{ path: '/approvals', label: t('nav.approvals') }] : []),
    ...(roles.has('investigator') || roles.has('approver') || roles.has('regional_approver') ? [{ path: '/signing-key', label: t('nav.signingKey') }] : []),
    ...(roles.has('department_operator') ? [{ path: '/operator', label: t('nav.operator') }] : []),
    ...(roles.has('auditor') || roles.has('department_operator') ? [{ path: '/audit', label: t('nav.audit') }] : []),
    ...(roles.has('auditor') || roles.has('administrator') || roles.has('department_operator') ? [{ path: '/departments', label: t('departmentsPage.nav') }] : []),
  ];
  const home = links[0]?.path ?? '/inquiries';
  const page = path === '/' ? home : path;
  const inquiryId = /^\/inquiries\/([^/]+)$/.exec(page)?.[1];

  return (
    <Console.Provider value={{ config, api, me }}>
      <a className="skip" href="#main">{t('app.skip')}</a>
      <header className="top">
        <h1>{t('app.title')}</h1>
        <p className="who">
          {t('me.signedInAs', { name: me.user.displayName, unit: me.unit.nameZh })}
          {' · '}
          {t('me.roles', { roles: me.user.roles.map((r) => t(`roles.${r}`)).join('、') })}
        </p>
        <LanguageSwitch />
        <button type="button" onClick={() => { logout(); setSession(null); setMe(null); navigate('/'); }}>{t('nav.logout')}</button>
      </header>
      <nav aria-label="main">
        <ul>
          {links.map((l) => (
            <li key={l.path}>
              <a href={l.path} aria-current={page === l.path ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate(l.path); }}>{l.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page === '/new' && <NewInquiry />}
        {page === '/inquiries' && <InquiryList mode="mine" />}
        {page === '/approvals' && <InquiryList mode="queue" />}
        {page === '/key' && <UnitKeyPage />}
        {page === '/signing-key' && <SigningKeyPage />}
        {page === '/audit' && <AuditPage />}
        {page === '/departments' && <DepartmentsPage />}
        {page === '/operator' && <OperatorPage />}
        {inquiryId && <InquiryDetail id={decodeURIComponent(inquiryId)} />}
      </main>
    </Console.Provider>
  );
}
