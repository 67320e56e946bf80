import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDevPki } from '../../certs-dev/pki';
import { parseConfig } from '../config';
import { loadAuth } from './from-config';

describe('loadAuth', () => {
  it('verifies dev issuer tokens with the dev PKI’s keys, and has no dev issuer in production', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qiao-auth-'));
    await ensureDevPki({ dir, departments: ['public_security'], units: ['150627'] });
    const dev = await loadAuth(parseConfig({ QIAO_MODE: 'development', QIAO_PKI_DIR: dir }));
    const { token } = await dev.devIssuer!.mint('li.investigator');
    expect((await dev.tokens.verify(token)).subject).toBe('li.investigator');

    const prod = await loadAuth(
      parseConfig({
        QIAO_PKI_DIR: dir,
        QIAO_TOKEN_ISSUER: 'qiao-dev-issuer',
        QIAO_TOKEN_JWKS_FILE: join(dir, 'keys/dev-issuer-jwks.json'),
        QIAO_DEPARTMENTS: 'public_security=127.0.0.1:7101',
      }),
    );
    expect(prod.devIssuer).toBeUndefined();
    expect((await prod.tokens.verify(token)).subject).toBe('li.investigator');
  });

  it('names a missing JWKS file', async () => {
    await expect(loadAuth(parseConfig({ QIAO_MODE: 'development', QIAO_PKI_DIR: '/nonexistent/qiao' }))).rejects.toThrow(
      "/nonexistent/qiao/keys/dev-issuer-jwks.json: cannot load the token issuer's JWKS (ENOENT)",
    );
  });
});
