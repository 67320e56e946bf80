import type { DepartmentDirectory } from './client';

export interface DepartmentHealthEntry {
  health: 'serving' | 'unreachable' | 'not_configured';
  displayName: string | null;
  /** The adapter's version and the categories it serves, as its Describe says; null when it did not answer. */
  version: string | null;
  categories: string[] | null;
  checkedAt: string;
}

/** Whether each department's adapter answers now (gRPC Describe), for the catalogue. */
export interface DepartmentHealth {
  check(departments: readonly string[]): Promise<Record<string, DepartmentHealthEntry>>;
}

/**
 * Probes with Describe (deadline `timeoutMs`), remembering each answer for `cacheMs` so that a
 * page of catalogue reads does not become a page of calls to every department.
 */
export function createDepartmentHealth(directory: DepartmentDirectory, options: { timeoutMs?: number; cacheMs?: number; clock?: () => Date } = {}): DepartmentHealth {
  const { timeoutMs = 2_000, cacheMs = 10_000, clock = () => new Date() } = options;
  const cache = new Map<string, { at: number; entry: Promise<DepartmentHealthEntry> }>();
  const probe = async (department: string): Promise<DepartmentHealthEntry> => {
    const checkedAt = clock().toISOString();
    const none = { displayName: null, version: null, categories: null, checkedAt };
    if (!directory.departments().includes(department)) return { health: 'not_configured', ...none };
    try {
      const described = await directory.client(department).describe({ deadline: new Date(Date.now() + timeoutMs) });
      return {
        health: 'serving',
        displayName: described.displayName,
        version: described.version || null,
        categories: described.categories.map((c) => c.name),
        checkedAt,
      };
    } catch {
      return { health: 'unreachable', ...none };
    }
  };
  return {
    async check(departments) {
      const now = Date.now();
      const entries = await Promise.all(departments.map(async (d) => {
        let cached = cache.get(d);
        if (!cached || now - cached.at > cacheMs) {
          cached = { at: now, entry: probe(d) };
          cache.set(d, cached);
        }
        return [d, await cached.entry] as const;
      }));
      return Object.fromEntries(entries);
    },
  };
}
