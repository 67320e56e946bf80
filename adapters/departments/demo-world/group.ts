/** Items by a key (the subject they are looked up by). */
export function groupBy<T>(items: readonly T[], key: (item: T) => string | readonly string[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const keys = key(item);
    for (const k of typeof keys === 'string' ? [keys] : new Set(keys)) map.set(k, [...(map.get(k) ?? []), item]);
  }
  return map;
}
