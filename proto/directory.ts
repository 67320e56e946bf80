/**
 * The words of the directory every side uses: the levels of the unit tree and the roles a user
 * holds. The gateway stores them, the directory authority certifies keys for them, the client
 * shows them.
 */
export const UNIT_LEVELS = ['region', 'league', 'banner'] as const;
export type UnitLevel = (typeof UNIT_LEVELS)[number];

export const ROLES = ['investigator', 'approver', 'regional_approver', 'auditor', 'department_operator', 'administrator'] as const;
export type Role = (typeof ROLES)[number];
