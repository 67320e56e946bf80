import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useConsole } from '../context';
import { authorityKey, unitEncryptionKey } from '../directory';
import { forgetUnitKey, importUnitKey, loadUnitKey, UnitKeyImportError, type StoredUnitKey } from '../keystore';

export function UnitKeyPage() {
  const { t } = useTranslation();
  const { me } = useConsole();
  const [stored, setStored] = useState<StoredUnitKey | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => void loadUnitKey(me.unit.id).then(setStored), [me.unit.id]);

  async function onFile(file: File | undefined) {
    if (!file) return;
    setProblem(null);
    try {
      // The certificate and the authority key come from this console's own server, never from the gateway.
      const [{ certificate }, authorityJwk] = await Promise.all([unitEncryptionKey(me.unit.id), authorityKey()]);
      setStored(await importUnitKey(me.unit.id, await file.text(), { certificate, authorityJwk }));
    } catch (err) {
      const message = (err as Error).message;
      setProblem(err instanceof UnitKeyImportError ? `${t(`key.problems.${err.problem}`, { unit: me.unit.id })} (${message})` : message);
    }
  }

  return (
    <section>
      <h2>{t('key.heading')}</h2>
      <p>{t('key.intro')}</p>
      <p role="status">{stored ? t('key.imported', { unit: `${me.unit.nameZh} (${stored.unitId})`, thumbprint: stored.thumbprint }) : t('key.none')}</p>
      <label>
        {t('key.file')} <input type="file" accept=".jwk,application/json" onChange={(e) => void onFile(e.target.files?.[0])} />
      </label>
      {problem && <p role="alert" className="error">{t('key.bad', { message: problem })}</p>}
      {stored && <button type="button" onClick={() => void forgetUnitKey(me.unit.id).then(() => setStored(null))}>{t('key.forget')}</button>}
    </section>
  );
}
