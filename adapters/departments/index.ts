import type { DataSource } from '../kit/data-source';
import { BANK, BANK_DISPLAY_NAME, createBankSource } from './bank';
import { MUHUDUNBAO_COOPERATIVE } from './demo-world/world';
import { createNaturalResourcesSource, NATURAL_RESOURCES, NATURAL_RESOURCES_DISPLAY_NAME } from './natural-resources';
import { createPublicSecuritySource, PUBLIC_SECURITY, PUBLIC_SECURITY_DISPLAY_NAME } from './public-security';

/** The demo departments by name, for adapters/main.ts. */
export const DEMO_DEPARTMENTS: Record<string, { displayName: string; createSource: (options?: { volume?: number }) => DataSource }> = {
  [PUBLIC_SECURITY]: { displayName: PUBLIC_SECURITY_DISPLAY_NAME, createSource: () => createPublicSecuritySource() },
  [NATURAL_RESOURCES]: { displayName: NATURAL_RESOURCES_DISPLAY_NAME, createSource: () => createNaturalResourcesSource() },
  [BANK]: {
    displayName: BANK_DISPLAY_NAME,
    createSource: (options) => createBankSource(options?.volume ? { volume: { [MUHUDUNBAO_COOPERATIVE]: options.volume } } : {}),
  },
};
