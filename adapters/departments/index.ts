import { fileURLToPath } from 'node:url';
import type { DataSource } from '../kit/data-source';
import { BANK, BANK_DISPLAY_NAME, createBankSource } from './bank';
import { CIVIL_AFFAIRS, CIVIL_AFFAIRS_DISPLAY_NAME, createCivilAffairsSource } from './civil-affairs';
import { MUHUDUNBAO_COOPERATIVE } from './demo-world/world';
import { createFinanceSource, FINANCE, FINANCE_DISPLAY_NAME } from './finance';
import { createMarketRegulationSource, MARKET_REGULATION, MARKET_REGULATION_DISPLAY_NAME } from './market-regulation';
import { createNaturalResourcesSource, NATURAL_RESOURCES, NATURAL_RESOURCES_DISPLAY_NAME } from './natural-resources';
import { createOrganisationSource, ORGANISATION, ORGANISATION_DISPLAY_NAME } from './organisation';
import { createPublicSecuritySource, PUBLIC_SECURITY, PUBLIC_SECURITY_DISPLAY_NAME } from './public-security';
import { createVehicleAdministrationSource, VEHICLE_ADMINISTRATION, VEHICLE_ADMINISTRATION_DISPLAY_NAME } from './vehicle-administration';

/** Each department's own minimum approvals, next to its source. */
const rules = (folder: string) => fileURLToPath(new URL(`./${folder}/approval-rules.json`, import.meta.url));

/** The demo departments by name, for adapters/main.ts. Each serves only its own slice of the demo world. */
export const DEMO_DEPARTMENTS: Record<string, { displayName: string; createSource: (options?: { volume?: number }) => DataSource; approvalRulesFile: string }> = {
  [PUBLIC_SECURITY]: { displayName: PUBLIC_SECURITY_DISPLAY_NAME, createSource: () => createPublicSecuritySource(), approvalRulesFile: rules('public-security') },
  [NATURAL_RESOURCES]: { displayName: NATURAL_RESOURCES_DISPLAY_NAME, createSource: () => createNaturalResourcesSource(), approvalRulesFile: rules('natural-resources') },
  [BANK]: {
    displayName: BANK_DISPLAY_NAME,
    approvalRulesFile: rules('bank'),
    createSource: (options) => createBankSource(options?.volume ? { volume: { [MUHUDUNBAO_COOPERATIVE]: options.volume } } : {}),
  },
  [FINANCE]: { displayName: FINANCE_DISPLAY_NAME, createSource: () => createFinanceSource(), approvalRulesFile: rules('finance') },
  [CIVIL_AFFAIRS]: { displayName: CIVIL_AFFAIRS_DISPLAY_NAME, createSource: () => createCivilAffairsSource(), approvalRulesFile: rules('civil-affairs') },
  [MARKET_REGULATION]: { displayName: MARKET_REGULATION_DISPLAY_NAME, createSource: () => createMarketRegulationSource(), approvalRulesFile: rules('market-regulation') },
  [VEHICLE_ADMINISTRATION]: { displayName: VEHICLE_ADMINISTRATION_DISPLAY_NAME, createSource: () => createVehicleAdministrationSource(), approvalRulesFile: rules('vehicle-administration') },
  [ORGANISATION]: { displayName: ORGANISATION_DISPLAY_NAME, createSource: () => createOrganisationSource(), approvalRulesFile: rules('organisation') },
};
