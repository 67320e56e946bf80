import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { startLogin } from '../auth';
import type { ConsoleConfig } from '../config';
import { LanguageSwitch } from '../language-switch';

export function LoginPage({ config, error }: { config: ConsoleConfig; error: unknown }) {
  const { t } = useTranslation();
  const [failure, setFailure] = useState<unknown>(error);
  return (
    <main id="main" className="centered login">
      <h1>{t('app.title')}</h1>
      <h2>{t('login.heading')}</h2>
      <p>{t('login.intro')}</p>
      <button type="button" className="primary" onClick={() => startLogin(config).catch(setFailure)}>{t('login.button')}</button>
      {failure ? <p role="alert" className="error">{t('login.failed', { message: failure instanceof Error ? failure.message : String(failure) })}</p> : null}
      <LanguageSwitch />
    </main>
  );
}
