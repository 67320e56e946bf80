import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DecryptedRecord } from '../../../core/results';

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function csvOf(rows: DecryptedRecord[], columns: string[]): string {
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => quote(cell(r[c]))).join(','))].join('\r\n') + '\r\n';
}

/** A file made in the page from decrypted records: a blob URL, never a request. */
function save(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One table per category, with sort (click a header), filter (search in every cell) and export. */
export function RecordTables({ records, name }: { records: DecryptedRecord[]; name: string }) {
  const byCategory = useMemo(() => {
    const groups = new Map<string, DecryptedRecord[]>();
    for (const r of records) {
      const key = String(r.category ?? '');
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups];
  }, [records]);
  return (
    <>
      {byCategory.map(([category, rows]) => <CategoryTable key={category} category={category} rows={rows} name={`${name}-${category}`} />)}
    </>
  );
}

function CategoryTable({ category, rows, name }: { category: string; rows: DecryptedRecord[]; name: string }) {
  const { t } = useTranslation();
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ column: string; descending: boolean } | null>(null);
  const columns = useMemo(() => [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => c !== 'category' && c !== 'department'), [rows]);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const kept = needle ? rows.filter((r) => columns.some((c) => cell(r[c]).toLowerCase().includes(needle))) : rows;
    if (!sort) return kept;
    const sign = sort.descending ? -1 : 1;
    return [...kept].sort((a, b) => sign * cell(a[sort.column]).localeCompare(cell(b[sort.column]), 'zh-CN', { numeric: true }));
  }, [rows, columns, filter, sort]);
  return (
    <div className="category-table" data-category={category}>
      <h5>{t(`categoryNames.${category}`, { defaultValue: category })} <code>{category}</code> ({shown.length}/{rows.length})</h5>
      <div className="table-tools">
        <label>{t('results.filter')} <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} /></label>
        <button type="button" onClick={() => save(`${name}.csv`, 'text/csv', csvOf(shown, columns))}>{t('results.exportCsv')}</button>
        <button type="button" onClick={() => save(`${name}.ndjson`, 'application/x-ndjson', shown.map((r) => JSON.stringify(r)).join('\n') + '\n')}>{t('results.exportNdjson')}</button>
      </div>
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col" aria-sort={sort?.column === c ? (sort.descending ? 'descending' : 'ascending') : undefined}>
                <button type="button" className="sort" title={c} onClick={() => setSort({ column: c, descending: sort?.column === c ? !sort.descending : false })}>{t(`fields.${category}.${c}`, { defaultValue: c === 'subject' ? t('results.subjectColumn') : c })}</button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => <tr key={i}>{columns.map((c) => <td key={c}>{cell(r[c])}</td>)}</tr>)}
        </tbody>
      </table>
    </div>
  );
}
