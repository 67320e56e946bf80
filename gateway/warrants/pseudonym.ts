import { createHmac } from 'node:crypto';

/**
 * A stable pseudonym: HMAC-SHA256 under the gateway's pseudonym key, base64url. Departments see
 * the same pseudonym for the same case or approver, so they can cross-check their logs with the
 * gateway's, but cannot tell who investigates what. `purpose` separates the name spaces.
 */
export function pseudonymize(key: Uint8Array, purpose: 'case' | 'approver', value: string): string {
  return createHmac('sha256', key).update(`qiao-pseudonym-v1\0${purpose}\0${value}`).digest('base64url');
}
