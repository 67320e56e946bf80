import { fileURLToPath } from 'node:url';
import type { DataSource } from '../kit/data-source';

/** Each department's own minimum approvals, next to its source. */
const rules = (folder: string) => fileURLToPath(new URL(`./${folder}/approval-rules.json`, import.meta.url));
import { BANK, BANK_DISPLAY_NAME, createBankSource } from './bank';
import { MUHUDUNBAO_COOPERATIVE } from './demo-world/world';
import { createNaturalResourcesSource, NATURAL_RESOURCES, NATURAL_RESOURCES_DISPLAY_NAME } from './natural-resources';
import { createPublicSecuritySource, PUBLIC_SECURITY, PUBLIC_SECURITY_DISPLAY_NAME } from './public-security';

/** The demo departments by name, for adapters/main.ts. */
export const DEMO_DEPARTMENTS: Record<string, { displayName: string; createSource: (options?: { volume?: number }) => DataSource; approvalRulesFile: string }> = {
  [PUBLIC_SECURITY]: { displayName: PUBLIC_SECURITY_DISPLAY_NAME, createSource: () => createPublicSecuritySource(), approvalRulesFile: rules('public-security') },
  [NATURAL_RESOURCES]: { displayName: NATURAL_RESOURCES_DISPLAY_NAME, createSource: () => createNaturalResourcesSource(), approvalRulesFile: rules('natural-resources') },
  [BANK]: {
    displayName: BANK_DISPLAY_NAME,
    approvalRulesFile: rules('bank'),
    createSource: (options) => createBankSource(options?.volume ? { volume: { [MUHUDUNBAO_COOPERATIVE]: options.volume } } : {}),
  },
};
