import { describe, expect, it } from 'vitest';
import { creditCodeCheckChar, creditCodeProblem, residentIdCheckChar, residentIdProblem, Subject } from './subjects';

describe('resident ID numbers (GB 11643)', () => {
  it.each(['11010519491231002X', '150627196803120034', '150627199002150018', '150627199307080030', '150627197001010022'])(
    'accepts %s',
    (id) => {
      expect(residentIdProblem(id)).toBeNull();
      expect(residentIdCheckChar(id.slice(0, 17))).toBe(id[17]);
    },
  );

  it('refuses a wrong check character and names the expected one', () => {
    expect(residentIdProblem('110105194912310021')).toMatch(/check character 1, expected X/);
    expect(residentIdProblem('150627196803120035')).toMatch(/expected 4/);
  });

  it('refuses a lowercase x', () => {
    expect(residentIdProblem('11010519491231002x')).toMatch(/17 digits followed by a digit or X/);
  });

  it.each(['110105194902301234', '110105194913011234', '110105190002291234', '110105194900001234'])(
    'refuses the impossible birth date in %s',
    (id) => {
      const fixed = id.slice(0, 17) + residentIdCheckChar(id.slice(0, 17));
      expect(residentIdProblem(fixed)).toMatch(/impossible birth date/);
    },
  );

  it('judges every birth date from 1899 to 2100 as the calendar does', () => {
    const today = new Date('2026-06-15T12:00:00Z');
    const byCalendar = (birth: string) => {
      const date = new Date(`${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}T00:00:00Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10).replaceAll('-', '') === birth;
    };
    for (let year = 1899; year <= 2100; year++) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const birth = `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
          const first17 = `150627${birth}003`;
          const problem = residentIdProblem(first17 + residentIdCheckChar(first17), today) ?? '';
          expect(problem.includes('impossible birth date'), birth).toBe(!byCalendar(birth));
          if (byCalendar(birth)) expect(problem === '', birth).toBe(birth >= '19000101' && birth <= '20260615');
        }
      }
    }
  });

  it('accepts 29 February in a leap year', () => {
    const first17 = '15062719960229001';
    expect(residentIdProblem(first17 + residentIdCheckChar(first17))).toBeNull();
  });

  it('refuses wrong lengths and letters', () => {
    for (const id of ['', '15062719680312003', '1506271968031200344', '15062719680312003A', 'X50627196803120034']) {
      expect(residentIdProblem(id)).not.toBeNull();
    }
  });
});

describe('unified social credit codes (GB 32100)', () => {
  it('accepts 91350100M000100Y43', () => {
    expect(creditCodeProblem('91350100M000100Y43')).toBeNull();
    expect(creditCodeCheckChar('91350100M000100Y4')).toBe('3');
  });

  it('refuses a wrong check character and names the expected one', () => {
    expect(creditCodeProblem('91350100M000100Y44')).toMatch(/check character 4, expected 3/);
  });

  it('refuses letters that are not used (I, O, S, V, Z), lowercase and letters in the division code', () => {
    for (const code of ['91350100M000100I43', '91350100m000100y43', '913501A0M000100Y43', '91350100M000100Y4']) {
      expect(creditCodeProblem(code)).not.toBeNull();
    }
  });
});

describe('Subject schema', () => {
  it('parses persons and organisations and reports the problem in the message', () => {
    expect(Subject.parse({ kind: 'person', id: '150627196803120034', name: '李某' })).toMatchObject({ kind: 'person' });
    expect(Subject.parse({ kind: 'organisation', id: '91350100M000100Y43' })).toMatchObject({ kind: 'organisation' });
    const result = Subject.safeParse({ kind: 'person', id: '150627196803120035' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/resident ID number 150627196803120035 has check character 5/);
  });

  it('does not accept a credit code as a person or the reverse', () => {
    expect(Subject.safeParse({ kind: 'person', id: '91350100M000100Y43' }).success).toBe(false);
    expect(Subject.safeParse({ kind: 'organisation', id: '150627196803120034' }).success).toBe(false);
  });
});

describe('birth dates and names', () => {
  const id = (birth: string) => `150627${birth}003` + residentIdCheckChar(`150627${birth}003`);
  it('refuses a birth date after `today` or before 1900, and accepts the bounds', () => {
    const today = new Date('2026-03-01T12:00:00Z');
    expect(residentIdProblem(id('20260302'), today)).toMatch(/birth date 20260302 in the future/);
    expect(residentIdProblem(id('20260301'), today)).toBeNull();
    expect(residentIdProblem(id('18991231'), today)).toMatch(/before 1900/);
    expect(residentIdProblem(id('19000101'), today)).toBeNull();
  });

  it('refuses control characters in a name, keeping tab and newline', () => {
    expect(Subject.safeParse({ kind: 'person', id: '150627196803120034', name: '李\u0000某' }).error?.issues[0]).toMatchObject({
      path: ['name'],
      message: 'contains the control character U+0000 at position 1: only tab and newline are allowed',
    });
    expect(Subject.safeParse({ kind: 'organisation', id: '91350100M000100Y43', name: 'A\tB\nC' }).success).toBe(true);
  });
});
