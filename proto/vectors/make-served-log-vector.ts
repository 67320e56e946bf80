/**
 * Writes proto/vectors/served-log-v1.json: a department's served-warrant log of four lines, made
 * here from the rule in docs/formats.md ("Served-warrant log") — not by the adapter kit — so that
 * the kit's test (adapters/kit/served-log-vector.test.ts) checks the kit against the rule:
 * `npx tsx proto/vectors/make-served-log-vector.ts`.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const WARRANT_1 = '0b6f3c52-2f4e-4c1a-9d1e-6a8f2b7c9e10';
const WARRANT_2 = '6c1e0a94-3b7d-4f2e-8a5c-9d0b1e2f3a4b';
const INQUIRY = '5d2c8f0e-7a41-4b9c-8e3f-1c2d3e4f5a6b';
// What the adapter appends, member by member in the order it writes them (adapters/kit/handlers.ts).
const appended: Record<string, unknown>[] = [
  { outcome: 'accepted', jti: WARRANT_1, warrantSha256: 'e3f1c0d6a4b2e8f7c9d1a3b5e7f9c1d3a5b7e9f1c3d5a7b9e1f3c5d7a9b1e3f5', inquiryId: INQUIRY },
  {
    outcome: 'served', jti: WARRANT_1, warrantSha256: 'e3f1c0d6a4b2e8f7c9d1a3b5e7f9c1d3a5b7e9f1c3d5a7b9e1f3c5d7a9b1e3f5', inquiryId: INQUIRY,
    records: 3, bytes: 1187, ciphertextSha256: '5a0c9e3b7d1f4a6c8e2b0d4f6a8c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c',
  },
  { outcome: 'refused', warrantSha256: '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0', reason: 'warrant_expired' },
  { outcome: 'failed', warrantSha256: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809', reason: 'source_failed', jti: WARRANT_2, inquiryId: INQUIRY },
];
const clock = ['2024-05-06T12:50:17.101Z', '2024-05-06T12:50:17.402Z', '2024-05-06T12:51:02.000Z', '2024-05-06T12:52:30.250Z'];

let prev = '0'.repeat(64);
const lines: string[] = [];
const lineSha256: string[] = [];
appended.forEach((entry, seq) => {
  const line = JSON.stringify({ seq, at: clock[seq], ...entry, prev });
  lines.push(line);
  prev = createHash('sha256').update(line, 'utf8').digest('hex');
  lineSha256.push(prev);
});

writeFileSync(
  new URL('./served-log-v1.json', import.meta.url),
  `${JSON.stringify(
    {
      description:
        "A department's served-warrant log (docs/formats.md, \"Served-warrant log\"): `file` is the whole file; each line is one JSON object and ends with \\n; line i has `seq` = i and `prev` = lowercase hex SHA-256 of the UTF-8 text of line i−1 as written (without its \\n), 64 zeros for line 0. `lineSha256[i]` is that hash of line i. `appended` and `clock` are what the adapter appended and when: appending them to an empty log reproduces `file` byte for byte.",
      appended,
      clock,
      file: lines.map((l) => `${l}\n`).join(''),
      lineSha256,
    },
    null,
    2,
  )}\n`,
);
console.log('wrote served-log-v1.json');
