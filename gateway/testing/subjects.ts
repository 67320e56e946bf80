import { randomInt } from 'node:crypto';
import { creditCodeCheckChar, residentIdCheckChar } from '../../proto/subjects';

/** A valid resident ID number of someone registered in `unitCode`, born on `birth` (YYYYMMDD). */
export function residentId(unitCode: string, birth = '19800101', sequence = randomInt(0, 1000)): string {
  const first17 = `${unitCode}${birth}${String(sequence).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/** A valid unified social credit code of an enterprise (category 9, type 1) registered in `unitCode`. */
export function creditCode(unitCode: string, serial = String(randomInt(0, 1e9)).padStart(9, '0')): string {
  const first17 = `91${unitCode}${serial}`;
  return first17 + creditCodeCheckChar(first17);
}

/** The same identifier with a wrong check character, and the one it should have had. */
export function withWrongCheckChar(id: string): { id: string; expected: string } {
  const expected = id.slice(-1);
  const wrong = ['0', '1', '2'].find((c) => c !== expected)!;
  return { id: id.slice(0, -1) + wrong, expected };
}
