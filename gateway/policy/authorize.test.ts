import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal';
import type { Role } from '../db/schema';
import { authorize, inquiryReadScope, type Action, type Resource } from './authorize';

const REGION = '150000';
const ORDOS = '150600';
const EJIN_HORO = '150627';
const ALXA = '152900';

function principal(id: string, unitId: string, roles: Role[]): Principal {
  const level = unitId === REGION ? 'region' : unitId.endsWith('00') ? 'league' : 'banner';
  return { userId: id, username: id, displayName: id, unitId, roles, unit: { id: unitId, name: unitId, nameZh: unitId, level } };
}

const pathOf: Record<string, string[]> = {
  [REGION]: [REGION],
  [ORDOS]: [ORDOS, REGION],
  [EJIN_HORO]: [EJIN_HORO, ORDOS, REGION],
  [ALXA]: [ALXA, REGION],
};

function inquiry(unitId: string, createdBy: string): Resource {
  return { kind: 'inquiry', id: 'i', unitId, unitPath: pathOf[unitId]!, createdBy, state: 'pending_approval' };
}

const bannerInvestigator = principal('inv', EJIN_HORO, ['investigator']);
const leagueApprover = principal('app', ORDOS, ['approver']);
const regionalApprover = principal('reg', REGION, ['regional_approver']);
const otherLeagueApprover = principal('alxa', ALXA, ['approver']);
const bannerApprover = principal('bapp', EJIN_HORO, ['approver', 'investigator']);
const auditor = principal('aud', REGION, ['auditor']);

describe('authorize', () => {
  it('lets investigators submit for their own unit only', () => {
    expect(authorize(bannerInvestigator, 'inquiry.submit', { kind: 'unit', unitId: EJIN_HORO }).allowed).toBe(true);
    expect(authorize(bannerInvestigator, 'inquiry.submit', { kind: 'unit', unitId: ORDOS }).allowed).toBe(false);
    expect(authorize(leagueApprover, 'inquiry.submit', { kind: 'unit', unitId: ORDOS })).toEqual({
      allowed: false,
      reason: 'only investigators submit inquiries',
    });
  });

  it('lets approvers decide inquiries of their unit and the units below it, never their own', () => {
    const own = inquiry(EJIN_HORO, 'inv');
    for (const action of ['inquiry.approve', 'inquiry.reject'] as const) {
      expect(authorize(leagueApprover, action, own).allowed).toBe(true);
      expect(authorize(regionalApprover, action, own).allowed).toBe(true);
      expect(authorize(bannerApprover, action, own).allowed).toBe(true);
      expect(authorize(otherLeagueApprover, action, own).allowed).toBe(false);
      expect(authorize(bannerInvestigator, action, own).allowed).toBe(false);
      // A banner approver cannot reach up to the league's inquiries.
      expect(authorize(bannerApprover, action, inquiry(ORDOS, 'x')).allowed).toBe(false);
      expect(authorize(bannerApprover, action, inquiry(EJIN_HORO, 'bapp'))).toEqual({
        allowed: false,
        reason: 'nobody decides an inquiry they submitted',
      });
    }
  });

  it('gives results to investigators of the requesting unit only', () => {
    const own = inquiry(EJIN_HORO, 'inv');
    expect(authorize(bannerInvestigator, 'result.download', own).allowed).toBe(true);
    expect(authorize(leagueApprover, 'result.download', own).allowed).toBe(false);
    expect(authorize(auditor, 'result.read', own).allowed).toBe(false);
  });

  it('agrees with the read scope the list query uses', () => {
    const everyone = [bannerInvestigator, leagueApprover, regionalApprover, otherLeagueApprover, bannerApprover, auditor];
    for (const p of everyone) {
      const scope = inquiryReadScope(p);
      for (const unitId of Object.keys(pathOf)) {
        const inScope =
          scope.kind === 'unit' ? scope.unitId === unitId : scope.kind === 'subtree' ? pathOf[unitId]!.includes(scope.rootUnitId) : false;
        const action: Action = 'inquiry.read';
        expect(authorize(p, action, inquiry(unitId, 'someone')).allowed, `${p.username} reading ${unitId}`).toBe(inScope);
      }
    }
  });
});
