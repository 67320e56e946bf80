import { useTranslation } from 'react-i18next';
import { ApiError } from '../../core/api-client';

/** An error as a user reads it: the gateway's own message (what was wrong, what to do) and its request id. */
export function ErrorText({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <p role="alert" className="error">
      {t('errors.generic', { message })}
      {requestId ? ` (${t('errors.requestId', { id: requestId })})` : ''}
    </p>
  );
}
