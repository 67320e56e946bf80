// The entry of a source's worker thread (source-threads.ts). Worker threads do not inherit the
// TypeScript loader the adapter runs under (`node --import tsx`), so the thread registers it itself.
import { register } from 'tsx/esm/api';

register();
await import('./source-worker.ts');
