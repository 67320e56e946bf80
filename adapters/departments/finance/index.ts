export { createFinanceSource, FINANCE, FINANCE_CATEGORIES, FINANCE_DISPLAY_NAME, financeDemoSubjectIds } from './source';
