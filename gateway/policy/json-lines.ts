/**
 * Where a value sits in a JSON text, so a policy file's mistake can be reported as
 * `file:line: path: problem`. JSON.parse keeps no positions; this scanner walks the text once
 * and records the line of every value by its path (`chains.standard.0.role`). It expects text
 * JSON.parse has already accepted.
 */
export function jsonLineIndex(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i]!)) {
      if (text[i] === '\n') line++;
      i++;
    }
  };
  const string = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string[]): void => {
    skip();
    lines.set(path.join('.'), line);
    const c = text[i];
    if (c === '{') {
      i++;
      skip();
      if (text[i] === '}') return void i++;
      for (;;) {
        skip();
        const keyLine = line;
        const key = string();
        skip();
        i++; // colon
        value([...path, key]);
        // A key's line is where the key is written, which is where a reader looks.
        lines.set([...path, key].join('.'), keyLine);
        skip();
        if (text[i++] === '}') return;
      }
    }
    if (c === '[') {
      i++;
      skip();
      if (text[i] === ']') return void i++;
      for (let n = 0; ; n++) {
        value([...path, String(n)]);
        skip();
        if (text[i++] === ']') return;
      }
    }
    if (c === '"') return void string();
    while (i < text.length && /[^\s,\]}]/.test(text[i]!)) i++;
  };
  value([]);
  return lines;
}

/** The line of the value at `path`, or of its nearest ancestor that exists (a missing key: its object). */
export function lineOf(index: Map<string, number>, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const found = index.get(path.slice(0, n).map(String).join('.'));
    if (found !== undefined) return found;
  }
  return 1;
}

/** `JSON.parse`'s complaint about a position, turned into a line number. */
export function lineOfParseError(text: string, err: Error): number | undefined {
  const m = /position (\d+)/.exec(err.message);
  if (m) return text.slice(0, Number(m[1])).split('\n').length;
  const l = /line (\d+)/.exec(err.message);
  if (l) return Number(l[1]);
  return /end of JSON input/.test(err.message) ? text.split('\n').length : undefined;
}
