/**
 * Names by which the two sides of the mTLS channel know each other. Certificates carry them as
 * DNS subject alternative names; each side checks the other's against these, not just the CA.
 */
export const GATEWAY_IDENTITY = 'gateway.qiao.internal';

/** Department names are lowercase snake_case words: `public_security`, `natural_resources`. */
export const DEPARTMENT_NAME = /^[a-z][a-z0-9_]{1,40}$/;

/** The DNS name in a department's server certificate, and the name the gateway dials it by. */
export function departmentHostname(department: string): string {
  if (!DEPARTMENT_NAME.test(department)) throw new Error(`invalid department name ${JSON.stringify(department)}`);
  return `${department.replaceAll('_', '-')}.department.qiao.internal`;
}
