import { describe, expect, it } from 'vitest';
import { buildTables, ModelError, parseModel, resolveParameters, toFindings } from './models';

const MODEL = `-- qiao-model: v1
-- name: same-area
-- title: Same area twice
-- needs: subsidies(recipient_id, declared_area_mu, year)
-- parameter: from_year integer 2016 -- first year
-- explains: Two payments for one area,
--   in one year.
SELECT 'x' AS finding, list(ref) AS records FROM subsidies WHERE year >= $from_year
`;

describe('parseModel', () => {
  it('reads the header: needs with fields, typed parameters, explanation over several lines', () => {
    const m = parseModel(MODEL, 'models/same-area.sql');
    expect(m).toMatchObject({
      name: 'same-area', needs: { subsidies: ['recipient_id', 'declared_area_mu', 'year'] },
      parameters: [{ name: 'from_year', type: 'integer', default: 2016, description: 'first year' }], explains: 'Two payments for one area, in one year.',
    });
    expect(m.sql).toMatch(/^SELECT/);
  });

  it.each([
    [MODEL.replace('-- qiao-model: v1\n', ''), 'models/same-area.sql: the header has no "-- qiao-model:" line'],
    [MODEL, 'models/other.sql:2: name "same-area" differs from the file name other.sql', 'models/other.sql'],
    [MODEL.replace('subsidies(recipient_id, declared_area_mu, year)', 'subsidies'), 'models/same-area.sql:4: "needs: subsidies" is not category(field, …)'],
    [MODEL.replace('integer 2016', 'integer 20.5'), 'models/same-area.sql:5: parameter from_year: "20.5" is not an integer'],
    [MODEL.replace('$from_year', '2016'), 'models/same-area.sql: parameter from_year is declared but the SQL never uses $from_year'],
    [MODEL.replace('-- title:', '-- titel:'), 'models/same-area.sql:3: unknown header field "titel"'],
  ])('refuses a broken header, naming file, line and problem (%#)', (text, message, source = 'models/same-area.sql') => {
    expect(() => parseModel(text, source)).toThrow(new ModelError(message));
  });

  it('takes parameters as name=value and refuses unknown ones, saying which exist', () => {
    const m = parseModel(MODEL, 'same-area.sql');
    expect(resolveParameters(m, ['from_year=2018'])).toEqual({ from_year: 2018 });
    expect(() => resolveParameters(m, ['to_year=1'])).toThrow('--param to_year=1: model same-area takes from_year=<integer>');
  });
});

describe('buildTables and toFindings', () => {
  const m = parseModel(MODEL, 'same-area.sql');
  const rec = (ref: string, record: Record<string, unknown>) => ({ ref, inquiryId: 'i', department: 'finance', record: { category: 'subsidies', subject: 's', ...record } });

  it('types columns by their values, loads only declared fields, and loads a record asked for twice once', () => {
    const [t] = buildTables(m, [rec('i/finance/1', { year: 2017, declared_area_mu: 312.5, recipient_id: 'a', secret: 'x' }), rec('j/finance/1', { year: 2017, declared_area_mu: 312.5, recipient_id: 'a' }), rec('i/finance/2', { year: 2018, declared_area_mu: 3, recipient_id: null })]);
    expect(t!.columns).toEqual([
      { name: 'ref', type: 'VARCHAR' }, { name: 'inquiry_id', type: 'VARCHAR' }, { name: 'department', type: 'VARCHAR' }, { name: 'subject', type: 'VARCHAR' },
      { name: 'recipient_id', type: 'VARCHAR' }, { name: 'declared_area_mu', type: 'DOUBLE' }, { name: 'year', type: 'BIGINT' },
    ]);
    expect(t!.rows.map((r) => r[0])).toEqual(['i/finance/1', 'i/finance/2']);
  });

  it('refuses a result without the finding columns or naming records that were not loaded', () => {
    expect(() => toFindings(m, ['summary', 'records'], [], [])).toThrow('its result has no "finding" column');
    expect(() => toFindings(m, ['finding', 'records'], [{ finding: 'x', records: ['nope'] }], [])).toThrow('a finding names record nope, which was not loaded');
  });
});
