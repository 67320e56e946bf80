import type { Role } from '../db/schema';

/**
 * Demo users, one or more for every role, named so the role and unit show in the username:
 * log in as any of them with `./qiao login <username>` in development mode.
 */
export interface DemoUser {
  username: string;
  displayName: string;
  unitId: string;
  roles: Role[];
  /** A department_operator's department (its audit entries are theirs to read). */
  department?: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  // Ejin Horo Banner, Ordos: the headline case is investigated here.
  { username: 'inv.ejinhoro', displayName: 'Bao Wenjun (investigator, Ejin Horo Banner)', unitId: '150627', roles: ['investigator'] },
  { username: 'inv2.ejinhoro', displayName: 'Gao Lina (investigator, Ejin Horo Banner)', unitId: '150627', roles: ['investigator'] },
  // Ordos City: the league approvers of Ejin Horo Banner's inquiries.
  { username: 'inv.ordos', displayName: 'Wang Haifeng (investigator, Ordos City)', unitId: '150600', roles: ['investigator'] },
  { username: 'appr.ordos', displayName: 'Sarantuya (approver, Ordos City)', unitId: '150600', roles: ['approver'] },
  { username: 'appr2.ordos', displayName: 'Zhang Qiang (approver, Ordos City)', unitId: '150600', roles: ['approver'] },
  // Alxa League, where the project's story starts.
  { username: 'inv.alxa', displayName: 'Batu (investigator, Alxa League)', unitId: '152900', roles: ['investigator'] },
  { username: 'appr.alxa', displayName: 'Liu Min (approver, Alxa League)', unitId: '152900', roles: ['approver'] },
  { username: 'inv.ejina', displayName: 'Wuyunqimuge (investigator, Ejina Banner)', unitId: '152923', roles: ['investigator'] },
  // Hohhot and Xilingol.
  { username: 'inv.hohhot', displayName: 'Zhao Yan (investigator, Hohhot City)', unitId: '150100', roles: ['investigator'] },
  { username: 'appr.hohhot', displayName: 'Qi Lei (approver, Hohhot City)', unitId: '150100', roles: ['approver'] },
  { username: 'inv.xilingol', displayName: 'Enkhbayar (investigator, Xilingol League)', unitId: '152500', roles: ['investigator'] },
  // The regional big-data centre and oversight.
  { username: 'inv.region', displayName: 'Han Jing (investigator, regional big-data centre)', unitId: '150000', roles: ['investigator'] },
  { username: 'appr.region', displayName: 'Bilige (regional approver)', unitId: '150000', roles: ['regional_approver', 'approver'] },
  { username: 'appr2.region', displayName: 'Sun Yue (regional approver)', unitId: '150000', roles: ['regional_approver', 'approver'] },
  { username: 'auditor.region', displayName: 'Hu Ping (auditor, regional oversight office)', unitId: '150000', roles: ['auditor'] },
  { username: 'admin.region', displayName: 'Ma Tao (administrator)', unitId: '150000', roles: ['administrator'] },
  { username: 'ops.public_security', displayName: 'Operator of the public security adapter', unitId: '150000', roles: ['department_operator'], department: 'public_security' },
];
