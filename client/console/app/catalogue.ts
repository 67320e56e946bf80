import categoriesFile from '../../../policies/categories.json';
import approvalsFile from '../../../policies/approvals.json';

/**
 * The category catalogue and approval chains, as built into this bundle from policies/: what
 * the form shows before submitting. The gateway decides on its own copy when the inquiry is
 * submitted (the inquiry then shows the chain it fixed); a catalogue endpoint would let the
 * form read the gateway's live one instead.
 */
export interface CategoryInfo {
  name: string;
  department: string;
  description: string;
  sensitivity: string;
}

export const CATEGORIES: CategoryInfo[] = Object.entries(categoriesFile.categories as Record<string, { department: string; description: string; sensitivity: string }>).map(
  ([name, c]) => ({ name, department: c.department, description: c.description, sensitivity: c.sensitivity }),
);

const ORDER = ['standard', 'sensitive', 'highly_sensitive'];

export function highestSensitivity(names: string[]): string | null {
  let best = -1;
  for (const name of names) best = Math.max(best, ORDER.indexOf(CATEGORIES.find((c) => c.name === name)?.sensitivity ?? 'standard'));
  return best < 0 ? null : ORDER[best]!;
}

export interface ChainStep {
  role: string;
  at: string;
  count: number;
}

export function chainFor(sensitivity: string): ChainStep[] {
  return (approvalsFile.chains as Record<string, ChainStep[]>)[sensitivity] ?? [];
}
