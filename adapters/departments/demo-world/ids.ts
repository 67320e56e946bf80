import { creditCodeCheckChar, residentIdCheckChar } from '../../../proto/subjects';

/**
 * Demo identifiers with valid check characters. A resident ID is division code (6) + birth date
 * (8) + sequence (3, odd for men, even for women) + check; a credit code is registration
 * authority and type (2, e.g. 93 = farmers' cooperative) + division code (6) + organisation
 * code (9, GB 11714 with its own check) + check.
 */

export function residentId(division: string, birthDate: string, sequence: number, sex: 'm' | 'f'): string {
  const seq = sequence % 2 === (sex === 'm' ? 1 : 0) ? sequence : sequence + 1;
  const first17 = `${division}${birthDate.replaceAll('-', '')}${String(seq % 1000).padStart(3, '0')}`;
  if (!/^\d{17}$/.test(first17)) throw new Error(`cannot build a resident ID from ${division} ${birthDate} ${sequence}`);
  return first17 + residentIdCheckChar(first17);
}

const ORG_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** GB 11714 organisation code: 8 characters + check character. */
export function organisationCode(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += ORG_CHARS.indexOf(first8[i]!) * ORG_WEIGHTS[i]!;
  const c = 11 - (sum % 11);
  return first8 + (c === 10 ? 'X' : c === 11 ? '0' : String(c));
}

export function creditCode(authorityAndType: string, division: string, organisation8: string): string {
  const first17 = `${authorityAndType}${division}${organisationCode(organisation8)}`;
  return first17 + creditCodeCheckChar(first17);
}
