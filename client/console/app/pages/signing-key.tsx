import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useConsole } from '../context';
import { authorityKey } from '../directory';
import { formatDateTime } from '../format';
import { forgetSigningKey, importSigningKey, loadSigningKey, SigningKeyImportError, type StoredSigningKey } from '../keystore';

/**
 * The user's own signing key: picked once from signing.jwk and signing.cert.jws, checked against
 * the directory authority's key, kept non-extractable in this browser. Every inquiry and every
 * decision this user makes in the console is signed with it.
 */
export function SigningKeyPage() {
  const { t, i18n } = useTranslation();
  const { me } = useConsole();
  const [stored, setStored] = useState<StoredSigningKey | null>(null);
  const [keyFile, setKeyFile] = useState<File | null>(null);
  const [certFile, setCertFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => void loadSigningKey(me.user.username).then(setStored), [me.user.username]);

  async function onImport() {
    if (!keyFile || !certFile) {
      setProblem(t('signingKey.problems.pick-both'));
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      const user = { username: me.user.username, unitId: me.unit.id, roles: me.user.roles };
      setStored(await importSigningKey(user, await keyFile.text(), await certFile.text(), await authorityKey()));
    } catch (err) {
      const message = (err as Error).message;
      setProblem(err instanceof SigningKeyImportError ? `${t(`signingKey.problems.${err.problem}`)} (${message})` : message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h2>{t('signingKey.heading')}</h2>
      <p>{t('signingKey.intro')}</p>
      <p role="status">
        {stored
          ? t('signingKey.imported', { kid: stored.kid, unit: stored.unitId, roles: stored.roles.map((r) => t(`roles.${r}`)).join('、'), expires: formatDateTime(stored.expiresAt, i18n.language) })
          : t('signingKey.none')}
      </p>
      <label>
        {t('signingKey.keyFile')} <input type="file" accept=".jwk,application/json" onChange={(e) => setKeyFile(e.target.files?.[0] ?? null)} />
      </label>
      <label>
        {t('signingKey.certificateFile')} <input type="file" accept=".jws,text/plain" onChange={(e) => setCertFile(e.target.files?.[0] ?? null)} />
      </label>
      <button type="button" className="primary" disabled={busy} onClick={() => void onImport()}>{t('signingKey.import')}</button>
      {problem && <p role="alert" className="error">{t('signingKey.bad', { message: problem })}</p>}
      {stored && <button type="button" onClick={() => void forgetSigningKey(me.user.username).then(() => setStored(null))}>{t('signingKey.forget')}</button>}
    </section>
  );
}
