/** How the console shows dates and identifiers: Asia/Shanghai time, IDs grouped as printed on cards. */
export const TIME_ZONE = 'Asia/Shanghai';

export function formatDateTime(iso: string | null | undefined, language: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language, { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(date);
}

/** A resident ID as 6-8-4 (region, birth date, sequence and check); a credit code as 2-6-9-1. */
export function formatSubjectId(kind: 'person' | 'organisation', id: string): string {
  if (id.length !== 18) return id;
  return kind === 'person' ? `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}` : `${id.slice(0, 2)} ${id.slice(2, 8)} ${id.slice(8, 17)} ${id.slice(17)}`;
}
