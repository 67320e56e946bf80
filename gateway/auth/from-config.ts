import type { Config } from '../config';
import { loadDevIssuer, type DevIssuer } from './dev-issuer';
import { createTokenVerifier, loadJwksFile, type TokenVerifier } from './verify-token';

/**
 * The token verifier, and in development mode the dev issuer, as the configuration describes
 * them. Errors name the file that could not be used.
 */
export async function loadAuth(config: Config): Promise<{ tokens: TokenVerifier; devIssuer?: DevIssuer }> {
  const { issuer, audience, jwksFile, jwksUrl, devIssuerKeyFile } = config.tokens;
  const jwks = jwksUrl ? { url: new URL(jwksUrl) } : await loadJwksFile(jwksFile!);
  const tokens = createTokenVerifier({ jwks, issuer, audience });
  if (config.mode !== 'development' || !devIssuerKeyFile) return { tokens };
  return { tokens, devIssuer: await loadDevIssuer(devIssuerKeyFile, { issuer, audience }) };
}
