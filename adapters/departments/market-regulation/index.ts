export { createMarketRegulationSource, MARKET_REGULATION, MARKET_REGULATION_CATEGORIES, MARKET_REGULATION_DISPLAY_NAME, marketRegulationDemoSubjectIds } from './source';
