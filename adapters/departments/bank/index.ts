export { BANK, BANK_CATEGORIES, BANK_DISPLAY_NAME, createBankSource, type BankSourceOptions } from './source';
