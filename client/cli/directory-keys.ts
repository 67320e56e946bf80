import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { ResultCheckError, type ReceiptKeyLookup } from '../core/results';

/** The directory's published receipt keys as files: `<directory>/receipts/<department>.pub.jwk`. */
export function directoryReceiptKeys(directoryDir: string): ReceiptKeyLookup {
  return async (department) => {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(department)) throw new ResultCheckError(`invalid department name ${JSON.stringify(department)}`, 'receipt');
    const file = join(directoryDir, 'receipts', `${department}.pub.jwk`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new ResultCheckError(`${department}: receipt check failed: no published receipt key at ${file}; pass --directory with the directory's folder`, 'receipt');
    }
    const jwk = JSON.parse(text) as JWK;
    if ('d' in jwk) throw new ResultCheckError(`${file} holds a private key; the directory publishes public keys only`, 'receipt');
    return jwk;
  };
}

