import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseConsoleOrigins, parseDepartments, parseDuration } from './config';

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env, { cwd: '/srv/qiao' });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('gives development defaults rooted at the working directory', () => {
    const config = parseConfig({ QIAO_MODE: 'development' }, { cwd: '/srv/qiao' });
    expect(config).toMatchObject({
      mode: 'development',
      http: { host: '127.0.0.1', port: 8080, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 },
      denialsPerMinute: 20,
      database: { dataDir: '/srv/qiao/.data/pglite' },
      pkiDir: '/srv/qiao/.dev',
      tokens: {
        issuer: 'qiao-dev-issuer',
        audience: 'qiao-gateway',
        jwksFile: '/srv/qiao/.dev/keys/dev-issuer-jwks.json',
        devIssuerKeyFile: '/srv/qiao/.dev/keys/dev-issuer.jwk',
      },
      departments: [
        { name: 'public_security', host: '127.0.0.1', port: 7101 },
        { name: 'natural_resources', host: '127.0.0.1', port: 7102 },
      ],
      fanout: { callDeadlineMs: 30_000, partDeadlineMs: 900_000, maxAttempts: 5, warrantTtlMs: 300_000, leaseMs: 15_000, concurrency: 8, callIdleTimeoutMs: 30_000 },
      signatures: { required: true },
      catalogueFile: '/srv/qiao/policies/categories.json',
      policyDir: '/srv/qiao/policies',
    });
  });

  it('defaults to production, which has no dev issuer and needs the token settings', () => {
    const err = configError({});
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['QIAO_DEPARTMENTS', 'QIAO_TOKEN_ISSUER', 'QIAO_TOKEN_JWKS_FILE']);
    expect(err.message).toContain('QIAO_TOKEN_ISSUER: is required in production mode');

    const config = parseConfig(
      {
        QIAO_TOKEN_ISSUER: 'https://idp.example',
        QIAO_TOKEN_JWKS_FILE: '/etc/qiao/idp-jwks.json',
        QIAO_DEPARTMENTS: 'public_security=ps.internal:443',
        DATABASE_URL: 'postgres://qiao:secret@db/qiao',
      },
      { cwd: '/srv/qiao' },
    );
    expect(config.mode).toBe('production');
    expect(config.tokens.devIssuerKeyFile).toBeUndefined();
    expect(config.database).toEqual({ url: 'postgres://qiao:secret@db/qiao' });
  });

  it('names the variable and the bad value', () => {
    expect(configError({ QIAO_MODE: 'development', QIAO_HTTP_PORT: 'eighty' }).message).toMatch(
      /QIAO_HTTP_PORT: expected an integer from 0 to 65535, got "eighty"/,
    );
    expect(configError({ QIAO_MODE: 'staging' }).issues[0]).toEqual({
      variable: 'QIAO_MODE',
      message: 'must be one of development, production',
    });
    expect(configError({ QIAO_MODE: 'development', QIAO_CALL_DEADLINE: '30' }).message).toMatch(
      /QIAO_CALL_DEADLINE: expected a duration like 500ms, 30s, 15m or 2h, got "30"/,
    );
    expect(configError({ QIAO_MODE: 'development', QIAO_WARRANT_TTL: '1d' }).issues[0]?.variable).toBe('QIAO_WARRANT_TTL');
    expect(configError({ QIAO_MODE: 'development', QIAO_WARRANT_TTL: '2h' }).message).toMatch(/QIAO_WARRANT_TTL: 2h is outside/);
    expect(configError({ QIAO_MODE: 'development', QIAO_MAX_ATTEMPTS: '0' }).issues[0]?.variable).toBe('QIAO_MAX_ATTEMPTS');
    expect(configError({ QIAO_MODE: 'development', DATABASE_URL: 'mysql://x' }).issues[0]?.variable).toBe('DATABASE_URL');
    expect(configError({ QIAO_MODE: 'development', QIAO_DEPARTMENTS: 'public_security=localhost' }).message).toMatch(
      /QIAO_DEPARTMENTS: entry "public_security=localhost" is not of the form name=host:port/,
    );
    expect(
      configError({ QIAO_MODE: 'development', QIAO_PART_DEADLINE: '10s', QIAO_CALL_DEADLINE: '30s' }).issues[0]?.variable,
    ).toBe('QIAO_PART_DEADLINE');
  });

  it('refuses a dev issuer key in production', () => {
    const err = configError({
      QIAO_TOKEN_ISSUER: 'i',
      QIAO_TOKEN_JWKS_FILE: 'j',
      QIAO_DEPARTMENTS: 'a_b=h:1',
      QIAO_DEV_ISSUER_KEY_FILE: '.dev/keys/dev-issuer.jwk',
    });
    expect(err.issues).toEqual([
      {
        variable: 'QIAO_DEV_ISSUER_KEY_FILE',
        message: 'is only allowed in development mode: the dev issuer mints a token for any user without a password, so production refuses to start while it is configured',
      },
    ]);
  });

  it('takes the issuer keys from a JWKS URL instead of a file: https, or http on loopback', () => {
    const base = { QIAO_TOKEN_ISSUER: 'https://idp.nmg.gov.cn', QIAO_DEPARTMENTS: 'a_b=h:1' };
    const config = parseConfig({ ...base, QIAO_TOKEN_JWKS_URL: 'https://idp.nmg.gov.cn/.well-known/jwks.json' });
    expect(config.tokens).toEqual({ issuer: 'https://idp.nmg.gov.cn', audience: 'qiao-gateway', jwksUrl: 'https://idp.nmg.gov.cn/.well-known/jwks.json' });
    expect(parseConfig({ ...base, QIAO_TOKEN_JWKS_URL: 'http://127.0.0.1:9000/jwks' }).tokens.jwksUrl).toBe('http://127.0.0.1:9000/jwks');
    expect(configError({ ...base, QIAO_TOKEN_JWKS_URL: 'http://idp.example/jwks' }).issues).toEqual([
      { variable: 'QIAO_TOKEN_JWKS_URL', message: 'must be an https:// URL (http:// only on the loopback interface)' },
    ]);
    expect(configError({ ...base, QIAO_TOKEN_JWKS_URL: 'https://idp/jwks', QIAO_TOKEN_JWKS_FILE: 'j' }).issues[0]?.variable).toBe('QIAO_TOKEN_JWKS_FILE');
  });

  it('serves plain HTTP only on loopback: elsewhere HTTPS, or a TLS-terminating proxy said in so many words', () => {
    const dev = { QIAO_MODE: 'development' };
    for (const host of ['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost']) {
      expect(parseConfig({ ...dev, QIAO_HTTP_HOST: host }).http).toMatchObject({ host, behindTlsProxy: false });
    }
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'gateway.example.org']) {
      const err = configError({ ...dev, QIAO_HTTP_HOST: host });
      expect(err.issues).toEqual([
        {
          variable: 'QIAO_HTTP_HOST',
          message: `${host} is not a loopback address, and the gateway refuses to serve plain HTTP there (bearer tokens and signed decisions would cross the network in clear): set QIAO_TLS_CERT_FILE and QIAO_TLS_KEY_FILE to serve HTTPS, or QIAO_BEHIND_TLS_PROXY=true if a TLS-terminating proxy in front of it is the only way in`,
        },
      ]);
    }
    const https = parseConfig({ ...dev, QIAO_HTTP_HOST: '0.0.0.0', QIAO_TLS_CERT_FILE: 'tls/gw.crt', QIAO_TLS_KEY_FILE: '/etc/qiao/gw.key' }, { cwd: '/srv/qiao' });
    expect(https.http).toMatchObject({ host: '0.0.0.0', tls: { certFile: '/srv/qiao/tls/gw.crt', keyFile: '/etc/qiao/gw.key' }, behindTlsProxy: false });
    expect(parseConfig({ ...dev, QIAO_HTTP_HOST: '0.0.0.0', QIAO_BEHIND_TLS_PROXY: 'true' }).http).toMatchObject({ behindTlsProxy: true });
    expect(configError({ ...dev, QIAO_TLS_CERT_FILE: 'gw.crt' }).issues).toEqual([{ variable: 'QIAO_TLS_KEY_FILE', message: 'must be set too: HTTPS needs both the certificate and its key' }]);
    expect(configError({ ...dev, QIAO_BEHIND_TLS_PROXY: 'yes' }).issues).toEqual([{ variable: 'QIAO_BEHIND_TLS_PROXY', message: 'must be true or false' }]);
  });

  it('treats empty variables as unset and ignores unrelated ones', () => {
    const config = parseConfig({ QIAO_MODE: 'development', QIAO_HTTP_PORT: '', PATH: '/bin' });
    expect(config.http.port).toBe(8080);
  });
});

describe('parseDepartments', () => {
  it('parses names, hosts (IPv6 in brackets) and ports', () => {
    expect(parseDepartments('a_b=h:1, c_d=[::1]:7102')).toEqual([
      { name: 'a_b', host: 'h', port: 1 },
      { name: 'c_d', host: '::1', port: 7102 },
    ]);
    expect(parseDepartments('a_b=h:1,a_b=h:2')).toBe('department a_b is listed twice');
    expect(parseDepartments('Bad=h:1')).toMatch(/lowercase snake_case/);
    expect(parseDepartments('a_b=h:70000')).toMatch(/outside 1–65535/);
    expect(parseDepartments(' , ')).toMatch(/at least one/);
  });
});

describe('parseDuration', () => {
  it('needs a unit', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('15')).toBeNull();
  });
});

describe('parseConsoleOrigins', () => {
  it('takes origins, https or loopback http, without duplicates', () => {
    expect(parseConsoleOrigins('https://console.ordos.example, http://127.0.0.1:8081,https://console.ordos.example/')).toEqual(['https://console.ordos.example', 'http://127.0.0.1:8081']);
    expect(parseConsoleOrigins('')).toEqual([]);
  });

  it('refuses paths, wildcards and clear text off the loopback interface, naming the entry', () => {
    expect(parseConsoleOrigins('https://console.example/app')).toMatch(/not an origin.*https:\/\/console.example/);
    expect(parseConsoleOrigins('*')).toMatch(/"\*" is not an origin/);
    expect(parseConsoleOrigins('http://console.example')).toMatch(/must be https/);
    expect(configError({ QIAO_MODE: 'development', QIAO_CONSOLE_ORIGINS: 'http://10.0.0.5:8081' }).issues).toEqual([
      { variable: 'QIAO_CONSOLE_ORIGINS', message: 'http://10.0.0.5:8081 must be https:// (http:// only on the loopback interface)' },
    ]);
  });
});
