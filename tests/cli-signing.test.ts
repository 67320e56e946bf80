import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootFederation, type Federation } from './harness/federation';

/**
 * `qiao submit`, `approve` and `show` as users run them (the built ./qiao, as a process): they
 * sign with the user's key file, say so clearly when it is missing or not certified for the
 * step, and `show` lists each approval with the key id, unit and role it verified itself.
 */
let fed: Federation;
beforeAll(async () => {
  fed = await bootFederation();
});
afterAll(() => fed?.close());

function qiao(as: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(join(import.meta.dirname, '..', 'qiao'), ['--gateway', fed.gateway.url, '--as', as, '--pki-dir', fed.pki.dir, '--state-dir', join(fed.pki.dir, 'cli-state'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const SUBMIT = ['submit', '--subject', '150627196803120034', '--category', 'household', '--case', 'EJH-2019-031', '--basis', 'Supervision Law art. 18', '--purpose', 'verify'];

describe('the command line signs with the user’s key file', () => {
  it('submits and approves signed; show verifies each signature with the directory’s key', async () => {
    const submitted = await qiao('inv.ejinhoro', ...SUBMIT);
    expect(submitted.stderr).toBe('');
    const kid = fed.pki.signers['inv.ejinhoro']!.claims.kid;
    expect(submitted.stdout).toContain(`signed with key ${kid}`);
    const id = /inquiry (\S+) submitted/.exec(submitted.stdout)![1]!;
    const approved = await qiao('appr.ordos', 'approve', id, '--comment', 'approved for case EJH-2019-031');
    expect(approved.stdout).toContain('approved; status: running');
    const shown = await qiao('inv.ejinhoro', 'show', id);
    expect(shown.stdout).toContain(`statement: signature verified — key ${kid}, unit 150627, investigator`);
    const row = shown.stdout.split('\n').find((l) => l.startsWith('appr.ordos'))!;
    expect(row).toContain('verified');
    expect(row).toContain(fed.pki.signers['appr.ordos']!.claims.kid);
    expect(row).toMatch(/150600\s+approver/);
  }, 60_000);

  it('says what is wrong when the key file is missing or certifies another role', async () => {
    const missing = await qiao('inv.ejinhoro', ...SUBMIT, '--signing-key', join(fed.pki.dir, 'no-such.jwk'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^qiao: no signing key at .*no-such\.jwk: pass --signing-key with your own key file/);
    const id = /inquiry (\S+) submitted/.exec((await qiao('inv.ejinhoro', ...SUBMIT)).stdout)![1]!;
    // An approver holding an investigator's key file.
    const wrong = await qiao('appr.ordos', 'approve', id, '--comment', 'x', '--signing-key', join(fed.pki.dir, 'users', 'inv.ordos', 'signing.jwk'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/your signing key is not certified as approver \(it is certified as investigator\)/);
  }, 60_000);
});
