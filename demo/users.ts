import type { Role } from '../proto/directory';

/**
 * Demo users, one or more for every role, named so the role and unit show in the username:
 * log in as any of them with `./qiao login <username>` in development mode. Roles by place:
 *   investigators      in banners (Ejin Horo, Ejina, Dalad), leagues/cities and the region (entrusted mode)
 *   league approvers   Ordos, Alxa, Hohhot, Baotou, Hulunbuir, Xilingol: they approve the first step
 *   regional approvers the region: the later steps of sensitive and highly sensitive inquiries
 *   auditor, administrator, department operators: the region
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
  // Hohhot, Baotou, Hulunbuir and Xilingol.
  { username: 'inv.hohhot', displayName: 'Zhao Yan (investigator, Hohhot City)', unitId: '150100', roles: ['investigator'] },
  { username: 'appr.hohhot', displayName: 'Qi Lei (approver, Hohhot City)', unitId: '150100', roles: ['approver'] },
  { username: 'inv.baotou', displayName: 'Li Jianguo (investigator, Baotou City)', unitId: '150200', roles: ['investigator'] },
  { username: 'appr.baotou', displayName: 'Wang Xiuying (approver, Baotou City)', unitId: '150200', roles: ['approver'] },
  { username: 'inv.hulunbuir', displayName: 'Dorji (investigator, Hulunbuir City)', unitId: '150700', roles: ['investigator'] },
  { username: 'appr.hulunbuir', displayName: 'Chen Hong (approver, Hulunbuir City)', unitId: '150700', roles: ['approver'] },
  { username: 'inv.xilingol', displayName: 'Enkhbayar (investigator, Xilingol League)', unitId: '152500', roles: ['investigator'] },
  { username: 'appr.xilingol', displayName: 'Naranhua (approver, Xilingol League)', unitId: '152500', roles: ['approver'] },
  { username: 'inv.dalad', displayName: 'Zhou Peng (investigator, Dalad Banner)', unitId: '150621', roles: ['investigator'] },
  // The regional big-data centre and oversight.
  { username: 'inv.region', displayName: 'Han Jing (investigator, regional big-data centre)', unitId: '150000', roles: ['investigator'] },
  { username: 'appr.region', displayName: 'Bilige (regional approver)', unitId: '150000', roles: ['regional_approver', 'approver'] },
  { username: 'appr2.region', displayName: 'Sun Yue (regional approver)', unitId: '150000', roles: ['regional_approver', 'approver'] },
  { username: 'auditor.region', displayName: 'Hu Ping (auditor, regional oversight office)', unitId: '150000', roles: ['auditor'] },
  { username: 'admin.region', displayName: 'Ma Tao (administrator)', unitId: '150000', roles: ['administrator'] },
  { username: 'ops.public_security', displayName: 'Operator of the public security adapter', unitId: '150000', roles: ['department_operator'], department: 'public_security' },
  { username: 'ops.natural_resources', displayName: 'Operator of the natural resources adapter', unitId: '150000', roles: ['department_operator'], department: 'natural_resources' },
  { username: 'ops.bank', displayName: 'Operator of the bank adapter', unitId: '150000', roles: ['department_operator'], department: 'bank' },
  { username: 'ops.finance', displayName: 'Operator of the finance adapter', unitId: '150000', roles: ['department_operator'], department: 'finance' },
  { username: 'ops.civil_affairs', displayName: 'Operator of the civil affairs adapter', unitId: '150000', roles: ['department_operator'], department: 'civil_affairs' },
  { username: 'ops.market_regulation', displayName: 'Operator of the market regulation adapter', unitId: '150000', roles: ['department_operator'], department: 'market_regulation' },
  { username: 'ops.vehicle_administration', displayName: 'Operator of the vehicle administration adapter', unitId: '150000', roles: ['department_operator'], department: 'vehicle_administration' },
  { username: 'ops.organisation', displayName: 'Operator of the organisation department adapter', unitId: '150000', roles: ['department_operator'], department: 'organisation' },
];
