import type { Command } from 'commander';
import type { JWK } from 'jose';
import type { ApiClient } from '../core/api-client';
import type { SubmitInquiry } from '../../proto/api/inquiries';
import { qiaoCommand } from './format';

type SigningFiles = { signingKey?: string; signingCertificate?: string; directory?: string };
type SubmitSigned = (client: ApiClient, request: Omit<SubmitInquiry, 'signed'>, o: SigningFiles) => Promise<{ inquiry: Awaited<ReturnType<ApiClient['submitInquiry']>>; kid: string }>;

/**
 * `qiao follow-up <inquiry-id> --from household_members --category real_estate vehicles`: a
 * linked inquiry about the persons and organisations the parent's decrypted answer names. The
 * parent's results are downloaded, verified and decrypted here; the subjects are picked here
 * (client/core/follow-up.ts); the gateway gets the subjects, the categories and the parent's id,
 * with the parent's case reference and legal basis — and needs its own approvals for it.
 */
export function registerFollowUp(
  program: Command,
  deps: { api: () => Promise<ApiClient>; pkiDir: () => string; readKey: (file: string) => Promise<JWK>; submitSigned: SubmitSigned },
  signingOptions: (c: Command) => Command,
): void {
  signingOptions(program.command('follow-up <inquiry-id>'))
    .description('submit a linked inquiry about the persons and organisations an answer names (picked here from the decrypted records)')
    .requiredOption('--from <category...>', 'the answer categories whose records name the new subjects, e.g. household_members enterprises')
    .requiredOption('--category <name...>', 'what to ask about them, e.g. real_estate vehicles')
    .option('--only <id...>', 'of the subjects found, ask only about these')
    .option('--purpose <text>', 'purpose of the follow-up (default: "follow-up of inquiry <id>")')
    .option('--dry-run', 'print the subjects that would be asked about, and submit nothing')
    .option('--key <file>', 'the unit private key (JWK); default: <pki-dir>/units/<unit>/encryption.jwk')
    .action(async (parentId: string, o: { from: string[]; category: string[]; only?: string[]; purpose?: string; dryRun?: boolean; key?: string } & SigningFiles) => {
      const [{ decryptInquiries }, { relatedSubjects, FollowUpError }] = await Promise.all([import('./compare'), import('../core/follow-up')]);
      const split = (xs: string[]) => xs.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
      const client = await deps.api();
      const parent = await client.getInquiry(parentId);
      const records = await decryptInquiries(client, [parentId], { ...o, pkiDir: deps.pkiDir(), readKey: deps.readKey, wait: 0 });
      const subjects = relatedSubjects(records.map((r) => r.record), split(o.from), parent.subjects, o.only ? split(o.only) : undefined);
      if (subjects.length === 0) throw new FollowUpError(`the ${split(o.from).join(', ')} records of inquiry ${parentId} name nobody who is not already one of its subjects`);
      console.log(`subjects from ${split(o.from).join(', ')} of inquiry ${parentId}: ${subjects.map((s) => `${s.id}${s.kind === 'organisation' ? ' (organisation)' : ''}`).join(', ')}`);
      if (o.dryRun) return;
      // The follow-up is for the parent's unit: entrusted again when the parent was entrusted.
      const me = await client.me();
      const { inquiry, kid } = await deps.submitSigned(
        client,
        {
          caseReference: parent.caseReference,
          legalBasis: parent.legalBasis,
          purpose: o.purpose ?? `follow-up of inquiry ${parentId}`,
          subjects,
          categories: split(o.category),
          parentId,
          ...(parent.unitId !== me.unit.id ? { onBehalfOf: parent.unitId } : {}),
        },
        o,
      );
      console.log(`follow-up inquiry ${inquiry.id} submitted (parent ${parentId}, case ${inquiry.caseReference}), signed with key ${kid}; status: ${inquiry.status}`);
      console.log(`it needs its own approval: ${qiaoCommand(client.baseUrl)} --as <approver> approve ${inquiry.id} --comment "..."`);
    });
}
