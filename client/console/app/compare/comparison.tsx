import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import builtIn from 'qiao:models';
import { ModelError, parseModel, resolveParameters, type Finding, type Model, type SourcedRecord } from '../../../core/models';
import { ErrorText } from '../error-text';

/**
 * 分析对比 in the browser: the comparison models (models/*.sql, built in) over the records this
 * page decrypted, with duckdb-wasm — loaded, with its engine, only when a model is run.
 */
export default function Comparison({ records }: { records: SourcedRecord[] }) {
  const { t } = useTranslation();
  const models = useMemo<Model[]>(() => builtIn.map((m) => parseModel(m.text, m.source)), []);
  const loaded = useMemo(() => new Set(records.map((r) => String(r.record.category ?? ''))), [records]);
  const [name, setName] = useState(models[0]?.name ?? '');
  const [given, setGiven] = useState<Record<string, string>>({});
  const [state, setState] = useState<{ phase: 'idle' } | { phase: 'running' } | { phase: 'done'; findings: Finding[]; ms: number; model: string } | { phase: 'failed'; error: unknown }>({ phase: 'idle' });
  const model = models.find((m) => m.name === name);
  const missing = model ? Object.keys(model.needs).filter((c) => !loaded.has(c)) : [];

  async function run() {
    if (!model) return;
    setState({ phase: 'running' });
    const started = performance.now();
    try {
      const parameters = resolveParameters(model, Object.entries(given).filter(([, v]) => v.trim() !== '').map(([k, v]) => `${k}=${v.trim()}`));
      const { runModelInBrowser } = await import('./duckdb-engine');
      const findings = await runModelInBrowser(model, records, parameters);
      setState({ phase: 'done', findings, ms: Math.round(performance.now() - started), model: model.name });
    } catch (error) {
      setState({ phase: 'failed', error });
    }
  }

  return (
    <section className="comparison" aria-labelledby="comparison-heading">
      <h3 id="comparison-heading">{t('compare.heading')}</h3>
      <p>{t('compare.intro', { records: records.length })}</p>
      <div className="table-tools">
        <label>
          {t('compare.model')}{' '}
          <select value={name} onChange={(e) => { setName(e.target.value); setState({ phase: 'idle' }); setGiven({}); }}>
            {models.map((m) => <option key={m.name} value={m.name}>{m.name} — {m.title}</option>)}
          </select>
        </label>
        {model?.parameters.map((p) => (
          <label key={p.name}>
            {p.name} <input value={given[p.name] ?? ''} placeholder={String(p.default)} onChange={(e) => setGiven({ ...given, [p.name]: e.target.value })} inputMode={p.type === 'text' ? 'text' : 'decimal'} />
          </label>
        ))}
        <button type="button" className="primary" onClick={() => void run()} disabled={!model || state.phase === 'running'}>{t('compare.run')}</button>
      </div>
      {model && <p className="explains">{withCode(model.explains)}</p>}
      {missing.length > 0 && <p className="notice">{t('compare.missing', { categories: missing.map((c) => t(`categoryNames.${c}`, { defaultValue: c })).join('、') })}</p>}
      {state.phase === 'running' && <p role="status">{t('compare.running')}</p>}
      {state.phase === 'failed' && (state.error instanceof ModelError ? <p role="alert" className="error">{state.error.message}</p> : <ErrorText error={state.error} />)}
      {state.phase === 'done' && (
        <>
          <p role="status" className="verified">{t('compare.done', { count: state.findings.length, model: state.model, ms: state.ms })}</p>
          <ol className="findings">
            {state.findings.map((f, i) => (
              <li key={i} className="finding">
                <p className="finding-text">{f.finding}</p>
                <table>
                  <caption className="sr-only">{t('compare.supporting')}</caption>
                  <thead><tr><th scope="col">{t('compare.ref')}</th><th scope="col">{t('compare.category')}</th><th scope="col">{t('compare.subject')}</th><th scope="col">{t('compare.record')}</th></tr></thead>
                  <tbody>
                    {f.records.map((r) => (
                      <tr key={r.ref} data-ref={r.ref}>
                        <td><code>{r.ref}</code></td>
                        <td>{t(`categoryNames.${String(r.record.category)}`, { defaultValue: String(r.record.category) })}</td>
                        <td>{String(r.record.subject ?? '')}</td>
                        <td>{Object.entries(r.record).filter(([k]) => k !== 'category' && k !== 'subject' && k !== 'department').map(([k, v]) => `${t(`fields.${String(r.record.category)}.${k}`, { defaultValue: k })}：${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('；')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** A model's explanation names columns as `code` (models/README.md): shown as code, not as backticks. */
export function withCode(text: string): ReactNode[] {
  const parts = text.split('`');
  if (parts.length % 2 === 0) return [text]; // an unpaired backtick: the text as written
  return parts.map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}
