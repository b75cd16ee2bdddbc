/** The globals stored beside a backup (globals-object.ts), as its manifest records them. */
export interface StoredGlobals {
  status: 'stored';
  key: string;
  /** SHA-256 of the stored object's bytes, hex. */
  sha256: string;
  sizeBytes: number;
  pgDumpallVersion: string;
}

/** What the manifest says of the server's globals: stored, missing (globals: best-effort, and why), or not taken (globals: off). */
export type GlobalsRecord = StoredGlobals | { status: 'missing'; reason: string } | { status: 'off' };
