import { createRoot } from 'react-dom/client';
import { App } from './app';
import { loadConfig } from './config';
import { initI18n } from './i18n';
import './styles.css';

async function start() {
  const [config] = await Promise.all([loadConfig(), initI18n()]);
  createRoot(document.getElementById('root')!).render(<App config={config} />);
}

start().catch((err: Error) => {
  document.getElementById('root')!.textContent = `控制台无法启动 / the console cannot start: ${err.message}`;
});
