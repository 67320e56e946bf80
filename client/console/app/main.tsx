import { createRoot } from 'react-dom/client';
import { currentSession } from './auth';
import { loadConfig } from './config';
import { initI18n } from './i18n';
import { LoginPage } from './pages/login';
import './styles.css';

/**
 * The login page needs neither the API's schemas nor the verifiers: the rest of the console is
 * loaded (a chunk of the same origin) only when there is a session or a login to finish, so the
 * first page a person sees comes with a third of the script.
 */
async function start() {
  const [config] = await Promise.all([loadConfig(), initI18n()]);
  const root = createRoot(document.getElementById('root')!);
  if (!currentSession() && location.pathname !== '/callback') {
    root.render(<LoginPage config={config} error={null} />);
    return;
  }
  const { App } = await import('./app');
  root.render(<App config={config} />);
}

start().catch((err: Error) => {
  document.getElementById('root')!.textContent = `控制台无法启动 / the console cannot start: ${err.message}`;
});
