declare module '*.css';
declare module 'qiao:models' {
  /** The texts of models/*.sql, built in (scripts/build-console.ts). */
  const models: { source: string; text: string }[];
  export default models;
}
/** Where the build put duckdb-wasm's engine and worker (scripts/build-console.ts). */
declare const QIAO_DUCKDB_WASM: string;
declare const QIAO_DUCKDB_WORKER: string;
