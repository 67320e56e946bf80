/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for the JSON this project writes: object members
 * sorted by the UTF-16 code units of their names, no whitespace, strings and numbers serialised
 * as ECMAScript does (which is what RFC 8785 specifies). Audit entries are hashed in this form,
 * so two implementations that agree on the value agree on the hash.
 *
 * Refused rather than guessed: non-finite numbers, bigint, functions, symbols, lone surrogates
 * (RFC 8785 §3.2.2.2), and `undefined` anywhere but as an object member (where JSON drops it).
 */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path}: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError(`${path}: a string holds a lone surrogate`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => write(v, `${path}[${i}]`)).join(',')}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const keys = Object.keys(value).sort();
      const members: string[] = [];
      for (const key of keys) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        if (LONE_SURROGATE.test(key)) throw new CanonicalJsonError(`${path}: a member name holds a lone surrogate`);
        members.push(`${JSON.stringify(key)}:${write(v, `${path}.${key}`)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`${path}: a ${typeof value} has no JSON form`);
  }
}
