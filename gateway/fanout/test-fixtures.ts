import { randomBytes, randomInt } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Db } from '../db/client';
import { inquiries, inquiryDecisions, inquiryParts, units, users } from '../db/schema';

/** Seeds for the fan-out tests: random ids, so tests sharing one database never collide. */
export interface SeededInquiry {
  unitId: string;
  investigatorId: string;
  approverId: string;
  inquiryId: string;
}

// Unit ids are 6-digit division codes; one database per test file, so a counter keeps them apart.
let nextUnit = randomInt(0, 800_000);

/** A unit's P-256 encryption key pair, as units hold them (the public half goes to the gateway). */
export async function generateUnitKey(): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
  const kid = randomBytes(8).toString('hex');
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ECDH-ES+A256KW', use: 'enc' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ECDH-ES+A256KW', use: 'enc' },
  };
}

export async function seedApprovedInquiry(
  db: Db,
  options: { encryptionKey?: JWK; categories?: string[]; subjects?: { kind: 'person' | 'organisation'; id: string; name?: string }[] } = {},
): Promise<SeededInquiry> {
  const tag = randomBytes(4).toString('hex');
  const unitId = String(100_000 + (nextUnit++ % 900_000));
  await db.insert(units).values({
    id: unitId,
    name: `Test Banner ${tag}`,
    nameZh: `测试旗${tag}`,
    level: 'banner',
    parentId: null,
    encryptionKey: options.encryptionKey ?? (await generateUnitKey()).publicJwk,
  });
  const [investigator] = await db
    .insert(users)
    .values({ username: `inv-${tag}`, displayName: 'Investigator', unitId, roles: ['investigator'] })
    .returning();
  const [approver] = await db
    .insert(users)
    .values({ username: `appr-${tag}`, displayName: 'Approver', unitId, roles: ['approver'] })
    .returning();
  const [inquiry] = await db
    .insert(inquiries)
    .values({
      unitId,
      createdBy: investigator!.id,
      caseReference: `EHB-2024-${tag}`,
      legalBasis: 'Supervision Law art. 18',
      purpose: 'subsidy fraud check',
      subjects: options.subjects ?? [{ kind: 'person', id: '150627196803120034', name: '李某' }],
      categories: options.categories ?? ['household', 'household_members'],
      state: 'approved',
    })
    .returning();
  await db
    .insert(inquiryDecisions)
    .values({ inquiryId: inquiry!.id, userId: approver!.id, decision: 'approve', comment: 'approved' });
  return { unitId, investigatorId: investigator!.id, approverId: approver!.id, inquiryId: inquiry!.id };
}

export async function insertPart(
  db: Db,
  inquiryId: string,
  values: Partial<typeof inquiryParts.$inferInsert> & { department?: string } = {},
): Promise<typeof inquiryParts.$inferSelect> {
  const [part] = await db
    .insert(inquiryParts)
    .values({
      inquiryId,
      department: values.department ?? 'public_security',
      categories: values.categories ?? ['household', 'household_members'],
      deadlineAt: values.deadlineAt ?? new Date(Date.now() + 3600_000),
      ...values,
    })
    .returning();
  return part!;
}
