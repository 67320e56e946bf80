import type { InquiryView } from '../../proto/api/inquiries';
import type { IssuedWarrant } from '../../proto/api/warrants';
import type { ResultSummary } from '../../proto/api/results';
import type { Finding } from './models';

/**
 * The report of an evidence package, for a person who reads and prints it: what was asked, by
 * whom, who approved it, what each department answered, what the audit log holds, and — when
 * exported with them — the comparison findings. One list of sections (`evidenceReport`) rendered
 * twice: `report.html` here (plain HTML with its own styles, no script, no remote resource) and
 * `report.pdf` by client/cli/evidence-pdf.ts. Its facts are checked by `qiao evidence verify`,
 * not by reading it.
 */

export interface EvidenceReportInput {
  inquiry: InquiryView;
  warrants: IssuedWarrant[];
  results: ResultSummary[];
  audit: { size: number; latest: number; actions: { index: number; action: string; at: string }[] };
  findings?: { model: string; title: string; findings: Finding[] }[];
  createdAt: Date;
}

export interface ReportTable {
  head: string[];
  rows: string[][];
}
export interface ReportSection {
  heading: string;
  /** A sub-heading under the section's heading (a comparison model's title). */
  subheading?: string;
  paragraphs: string[];
  tables: ReportTable[];
}
export interface EvidenceReport {
  title: string;
  intro: string;
  sections: ReportSection[];
}

const cells = (rows: unknown[][]) => rows.map((r) => r.map((c) => String(c ?? '')));

export function evidenceReport(input: EvidenceReportInput): EvidenceReport {
  const { inquiry: i } = input;
  const sections: ReportSection[] = [
    {
      heading: '查询 Inquiry', paragraphs: [],
      tables: [
        { head: ['case', 'legal basis', 'purpose', 'unit', 'submitted by', 'submitted at', 'status', 'follow-up of'], rows: cells([[i.caseReference, i.legalBasis, i.purpose, i.unitId, i.createdBy.username, i.createdAt, i.status, i.parentId ?? '']]) },
        { head: ['subjects', 'categories', 'sensitivity'], rows: cells([[i.subjects.map((s) => s.id).join(', '), i.categories.join(', '), i.sensitivity]]) },
      ],
    },
    { heading: '审批 Decisions', paragraphs: [], tables: [{ head: ['approver', 'decision', 'comment', 'at', 'signed'], rows: cells(i.decisions.map((d) => [d.username, d.decision, d.comment, d.decidedAt, d.signed ? 'yes' : 'no'])) }] },
    { heading: '查询令 Warrants', paragraphs: [], tables: [{ head: ['department', 'warrant id', 'issued', 'expires', 'SHA-256'], rows: cells(input.warrants.map((w) => [w.department, w.warrantId, w.issuedAt, w.expiresAt, w.sha256])) }] },
    { heading: '答复 Answers', paragraphs: [], tables: [{ head: ['department', 'records', 'bytes', 'ciphertext SHA-256', 'warrant id'], rows: cells(input.results.map((r) => [r.department, r.records, r.bytes, r.sha256, r.warrantId])) }] },
    {
      heading: '审计日志 Audit log',
      paragraphs: [`${input.audit.actions.length} entries of this inquiry, each with an inclusion proof to the signed checkpoint of ${input.audit.size} entries, and a consistency proof from it to the latest checkpoint at the export (${input.audit.latest} entries).`],
      tables: [{ head: ['index', 'action', 'at'], rows: cells(input.audit.actions.map((a) => [a.index, a.action, a.at])) }],
    },
  ];
  for (const [n, m] of (input.findings ?? []).entries()) {
    sections.push({
      heading: n === 0 ? '分析对比 Comparison findings' : '', subheading: `${m.title} (${m.model})`,
      paragraphs: m.findings.length === 0 ? ['No finding.'] : [],
      tables: m.findings.length === 0 ? [] : [{ head: ['finding', 'records'], rows: m.findings.map((f) => [f.finding, f.records.map((r) => r.ref).join(', ')]) }],
    });
  }
  return {
    title: `电子取证 Evidence of inquiry ${i.id}`,
    intro: `Exported ${input.createdAt.toISOString()}. Check this package with qiao evidence verify: this report only describes it.`,
    sections,
  };
}

const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const table = (t: ReportTable) =>
  `<table><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

export function renderEvidenceReport(input: EvidenceReportInput): string {
  const report = evidenceReport(input);
  const body = report.sections.map((s) => [
    s.heading ? `<h2>${esc(s.heading)}</h2>` : '',
    s.subheading ? `<h3>${esc(s.subheading)}</h3>` : '',
    ...s.paragraphs.map((p) => `<p>${esc(p)}</p>`),
    ...s.tables.map(table),
  ].filter(Boolean).join('\n')).join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(report.title)}</title>
<style>body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;font-size:11pt}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top;word-break:break-all}
small{color:#555}@media print{body{margin:1cm}}</style></head><body>
<h1>${esc(report.title)}</h1>
<p>${esc(report.intro)}</p>
${body}
</body></html>
`;
}
