import type { InquiryView } from '../../proto/api/inquiries';
import type { IssuedWarrant } from '../../proto/api/warrants';
import type { ResultSummary } from '../../proto/api/results';
import type { Finding } from './models';

/**
 * The printable report of an evidence package (`report.html`): what was asked, by whom, who
 * approved it, what each department answered, what the audit log holds, and — when exported
 * with them — the comparison findings. Plain HTML with its own styles, no script and no remote
 * resource, so it prints the same anywhere; its facts are checked by `qiao evidence verify`, not
 * by reading it.
 */

const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const table = (head: string[], rows: unknown[][]) =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

export function renderEvidenceReport(input: {
  inquiry: InquiryView;
  warrants: IssuedWarrant[];
  results: ResultSummary[];
  audit: { size: number; latest: number; actions: { index: number; action: string; at: string }[] };
  findings?: { model: string; title: string; findings: Finding[] }[];
  createdAt: Date;
}): string {
  const { inquiry: i } = input;
  const findings = (input.findings ?? []).map((m) => `<h3>${esc(m.title)} <small>(${esc(m.model)})</small></h3>${m.findings.length === 0 ? '<p>No finding.</p>' : `<ol>${m.findings.map((f) => `<li>${esc(f.finding)}<br><small>records: ${f.records.map((r) => esc(r.ref)).join(', ')}</small></li>`).join('')}</ol>`}`).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Evidence of inquiry ${esc(i.id)}</title>
<style>body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;font-size:11pt}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}
small{color:#555}code{font-size:9pt;word-break:break-all}@media print{body{margin:1cm}}</style></head><body>
<h1>电子取证 Evidence of inquiry <code>${esc(i.id)}</code></h1>
<p>Exported ${esc(input.createdAt.toISOString())}. Check this package with <code>qiao evidence verify</code>: this page only describes it.</p>
<h2>Inquiry</h2>
${table(['case', 'legal basis', 'purpose', 'unit', 'submitted by', 'submitted at', 'status', 'follow-up of'], [[i.caseReference, i.legalBasis, i.purpose, i.unitId, i.createdBy.username, i.createdAt, i.status, i.parentId ?? '']])}
${table(['subjects', 'categories', 'sensitivity'], [[i.subjects.map((s) => s.id).join(', '), i.categories.join(', '), i.sensitivity]])}
<h2>Decisions</h2>
${table(['approver', 'decision', 'comment', 'at', 'signed'], i.decisions.map((d) => [d.username, d.decision, d.comment, d.decidedAt, d.signed ? 'yes' : 'no']))}
<h2>Warrants</h2>
${table(['department', 'warrant id', 'issued', 'expires', 'SHA-256'], input.warrants.map((w) => [w.department, w.warrantId, w.issuedAt, w.expiresAt, w.sha256]))}
<h2>Answers</h2>
${table(['department', 'records', 'bytes', 'ciphertext SHA-256', 'warrant id'], input.results.map((r) => [r.department, r.records, r.bytes, r.sha256, r.warrantId]))}
<h2>Audit log</h2>
<p>${input.audit.actions.length} entries of this inquiry, each with an inclusion proof to the signed checkpoint of ${input.audit.size} entries, and a consistency proof from it to the latest checkpoint at the export (${input.audit.latest} entries).</p>
${table(['index', 'action', 'at'], input.audit.actions.map((a) => [a.index, a.action, a.at]))}
${findings ? `<h2>Comparison findings</h2>${findings}` : ''}
</body></html>
`;
}
