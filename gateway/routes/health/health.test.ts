import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadyAnswer } from '../../../proto/api';
import { DepartmentCallError, type DepartmentDirectory } from '../../departments/client';
import { createDepartmentHealth } from '../../departments/health';
import { createTestGateway, type TestGateway } from '../../testing/harness';

/** A directory whose departments answer Describe unless named in `down`. */
function directory(down: Set<string>): DepartmentDirectory {
  return {
    departments: () => ['public_security', 'natural_resources'],
    client: (department) => ({
      department,
      execute: () => {
        throw new Error('not used');
      },
      describe: async () => {
        if (down.has(department)) throw new DepartmentCallError('UNAVAILABLE', 'connection refused', department);
        return { department, displayName: department, categories: [] };
      },
      close() {},
    }),
    close: async () => undefined,
  };
}

const down = new Set<string>();
let signerWorks = true;
let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({
    departmentHealth: createDepartmentHealth(directory(down), { cacheMs: 0 }),
    readiness: {
      checkpointSigner: async () => {
        if (!signerWorks) throw new Error('key gone');
      },
    },
  });
});
afterAll(() => gw?.close());

describe('health', () => {
  it('answers /health and /ready without authentication: ready when database, signer and every department answer', async () => {
    expect((await gw.request('GET', '/health')).body).toEqual({ status: 'ok' });
    const ready = await gw.request<ReadyAnswer>('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      database: { status: 'up' },
      checkpointSigner: { status: 'up' },
      departments: { total: 2, reachable: 2, unreachable: [] },
    });
  });

  it('is degraded (still 200) while a department does not answer, and ready again once it does', async () => {
    down.add('natural_resources');
    try {
      const res = await gw.request<ReadyAnswer>('GET', '/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'degraded', database: { status: 'up' }, departments: { total: 2, reachable: 1, unreachable: ['natural_resources'] } });
    } finally {
      down.clear();
    }
    expect((await gw.request<ReadyAnswer>('GET', '/ready')).body.status).toBe('ready');
  });

  it('is down (503) when the checkpoint signer cannot sign', async () => {
    signerWorks = false;
    try {
      const res = await gw.request<ReadyAnswer>('GET', '/ready');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'down', database: { status: 'up' }, checkpointSigner: { status: 'down' } });
    } finally {
      signerWorks = true;
    }
  });

  it('is down (503) when the database is gone, and /health still answers', async () => {
    const gone = await createTestGateway();
    await gone.close();
    const res = await gone.request<ReadyAnswer>('GET', '/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'down', database: { status: 'down' }, checkpointSigner: { status: 'not_configured' } });
    expect((await gone.request('GET', '/health')).status).toBe(200);
  });
});
