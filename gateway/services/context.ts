import type { JWK } from 'jose';
import type { RevocationSource } from '../../proto/node/revocation-source';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal';
import type { Catalogue } from '../catalogue';
import type { Db } from '../db/client';
import type { ApprovalPolicy } from '../policy/approval-policy';
import type { PolicyEngine } from '../policy/authorize';
import type { AuditWriter } from './audit/commitments';
import type { AuditGroupCommit } from './audit/group-commit';
import type { DepartmentActivity } from '../departments/activity';
import type { DepartmentHealth } from '../departments/health';
import type { ReadinessProbes } from './health/check-ready';
import type { DenialLimiter } from './audit/denial-limit';
import type { InquiryWatch } from './inquiry/watch';
import type { DirectoryCache } from './unit/directory-cache';

/** Wakes the fan-out worker after an approval has committed, so it need not wait for its next poll. */
export interface FanoutWaker {
  wake(): void;
}

import type { DownloadSlots } from './result/download-slots';

/** Reads a stored result's ciphertext in order, chunk by chunk, never whole. */
export interface ResultReader {
  openResultStream(partId: string, warrantId: string): AsyncIterable<Uint8Array>;
  /** Downloads this process serves at once (QIAO_MAX_DOWNLOADS); none = unbounded (tests). */
  downloads?: DownloadSlots;
}

/** What every service function may use, built once by `createApp`. */
export interface Services {
  db: Db;
  catalogue: Catalogue;
  /** Cedar: every authorization decision (policies/*.cedar). */
  policy: PolicyEngine;
  /** Approval chains, expiry and fair-use limits (policies/approvals.json). */
  approvals: ApprovalPolicy;
  logger: Logger;
  clock: () => Date;
  /** How long a department's part may take, all attempts together, from approval. */
  partDeadlineMs: number;
  fanout: FanoutWaker;
  results: ResultReader;
  /** The audit log's commitment key and its id: what `appendAudit` needs besides the transaction. */
  audit: AuditWriter;
  /** Appends the downloads' audit entries, those arriving together in one transaction (audit/group-commit.ts); absent (services built by hand), each its own. */
  downloadAudit?: AuditGroupCommit;
  /** Signed statements and decisions: required or not, and the directory authority key their certificates are checked with. */
  /** `revocations`: the directory's signed revocation list (proto/node/revocation-source.ts), checked at submit and decide. */
  signatures: { required: boolean; authorityJwk?: JWK; revocations?: RevocationSource };
  /** Probes the departments' adapters for the catalogue; absent in tests without departments. */
  departmentHealth?: DepartmentHealth;
  /** The configured departments (QIAO_DEPARTMENTS), in their order. */
  departments?: readonly string[];
  /** What this replica saw of each department's calls (GET /v1/departments); absent in tests without a fan-out. */
  departmentActivity?: DepartmentActivity;
  /** Readiness probes beyond the database (GET /ready). */
  probes?: ReadinessProbes;
  /** Counts refused requests per user: past the rate they answer 429 and are audited as one count. */
  denials: DenialLimiter;
  /** Tells event streams that an inquiry changed, on whichever replica (services/inquiry/watch.ts). */
  watch: InquiryWatch;
  /** The unit tree and the principals of verified tokens, refreshed when the directory changes. */
  directory: DirectoryCache;
}

/** A service call on behalf of an authenticated caller. */
export interface RequestContext extends Services {
  principal: Principal;
  requestId: string;
}
