import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { evidenceReport, type EvidenceReportInput } from '../core/evidence-report';

/**
 * `report.pdf` of an evidence package: the sections of client/core/evidence-report.ts laid out
 * with pdfkit in Noto Sans SC (the `@expo-google-fonts/noto-sans-sc` package, SIL Open Font
 * License), so the Chinese of the report prints the same on any machine; pdfkit embeds only the
 * glyphs used (a subset of some tens of KiB, not the 10 MiB font). Metadata dates are the
 * export's, so the same input gives the same bytes.
 */

const require = createRequire(import.meta.url);
/** The font files, found where npm installed the package (also from the bundled command line). */
export const REPORT_FONTS = {
  regular: require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf'),
};

export function renderEvidencePdf(input: EvidenceReportInput): Promise<Uint8Array> {
  const report = evidenceReport(input);
  const doc = new PDFDocument({
    size: 'A4', margin: 50, font: REPORT_FONTS.regular, bufferPages: false,
    info: { Title: report.title, Creator: 'qiao evidence export', Producer: 'pdfkit', CreationDate: input.createdAt, ModDate: input.createdAt },
    lang: 'zh-CN', displayTitle: true,
  });
  doc.registerFont('regular', REPORT_FONTS.regular);
  doc.registerFont('bold', REPORT_FONTS.bold);
  const parts: Uint8Array[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => parts.push(new Uint8Array(chunk)));
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(parts))));
    doc.on('error', reject);
  });
  doc.font('bold').fontSize(16).text(report.title);
  doc.moveDown(0.5).font('regular').fontSize(9).text(report.intro);
  for (const section of report.sections) {
    if (section.heading) doc.moveDown(1).font('bold').fontSize(13).text(section.heading, doc.page.margins.left);
    if (section.subheading) doc.moveDown(0.5).font('bold').fontSize(11).text(section.subheading, doc.page.margins.left);
    for (const p of section.paragraphs) doc.moveDown(0.3).font('regular').fontSize(9).text(p, doc.page.margins.left);
    for (const t of section.tables) {
      doc.moveDown(0.4).font('regular').fontSize(8);
      // Hashes and ids are long unbroken strings: pdfkit wraps them within the cell.
      doc.table({ data: [t.head.map((h) => ({ text: h, font: { src: REPORT_FONTS.bold }, type: 'TH' as const })), ...t.rows], defaultStyle: { padding: 3 } });
      doc.x = doc.page.margins.left;
    }
  }
  doc.end();
  return done;
}
