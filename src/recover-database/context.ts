import type { SmokeResult } from '../checks/smoke.js';
import type { CheckResult } from '../checks/run-checks.js';
import type { TableComparison } from '../checks/verify-tables.js';
import type { RunContext } from '../github/run-context.js';
import type { RolesDetails } from '../storage/role-details.js';
import type { Logger } from '../util/logger.js';
import type { DataLoss } from './data-loss.js';
import type { RecoverDatabaseSettings, RecoverMode, RecoverSource } from './inputs.js';
import type { SessionOnServer } from './server-state.js';

/** A command of the application's (stop, migrate, start) as it ran. */
export interface CommandRun {
  input: 'stop-command' | 'migrate-command' | 'start-command';
  result: SmokeResult;
}

/** What the report says of a recovery from RDS. */
export interface RdsRecoveryDetails {
  instanceId: string;
  region: string;
  cutover: 'rename' | 'dns';
  /** cutover: dns: the record moved from the damaged instance's endpoint to the restored one. */
  record?: string;
  recoveryPoint?: { mechanism: 'point-in-time' | 'snapshot'; time: string; label: string; snapshotId?: string };
  /** The restored instance: its identifier until it takes the production one, and the statuses RDS reported. */
  restored: { id: string; statuses: { status: string; at: string }[]; endpoint?: string };
  /** The damaged instance's deletion protection, left as it was. */
  damagedDeletionProtection?: boolean;
}

/** What the report says of a recovery, planned or executed. */
export interface RecoverDetails {
  mode: RecoverMode;
  source: RecoverSource;
  /** For an RDS source: the instances and the recovery point. */
  rds?: RdsRecoveryDetails;
  /** The server and database to replace, safe to print. */
  database: string;
  production: string;
  bucket: string;
  prefix: string;
  /** The backup input as understood. */
  selector: string;
  /** The backup key restored: what expected-recovery-point binds. */
  recoveryPoint?: string;
  backup?: {
    key: string;
    reason: string;
    /** Bytes downloaded: the object and a parallel backup's data parts. */
    sizeBytes: number;
    /** The object's SHA-256 (a parallel backup's parts each have their own in the manifest). */
    sha256: string;
    /** A parallel backup's data parts, beside the object. */
    parts?: number;
    snapshotAt: string;
    finishedAt: string;
  };
  /** Where the recovery stood on the server when this run began (see Phase). */
  phase?: string;
  /** The OID of the damaged database: what expected-replaces binds. */
  replaces?: string;
  restoredAs?: string;
  keptAs?: string;
  /** cutover: dns: the record as this run read it before any change, in the form expected-record-value takes. */
  recordValue?: string;
  loss?: DataLoss;
  /** What execute does (in plan mode: would do), in order, as commands and SQL. */
  actions: string[];
  roles?: RolesDetails;
  tables: TableComparison[];
  checks: { file?: string; results: CheckResult[] };
  smoke?: SmokeResult;
  commands: CommandRun[];
  /** Sessions found in the damaged or restored database before the rename. */
  sessions?: SessionOnServer[];
  health?: { url: string; healthy: boolean; attempts: number; last: string };
  /** The production name now holds the restored data. */
  recovered: boolean;
  /** Where things stand at the end, in a sentence. */
  state: string;
  /** SQL that puts the damaged database back under the production name (once the renames happened). */
  putBack: string[];
  rto: { from?: string; to?: string; seconds: number | null; measure: string };
  /** Age of the recovery point at the end of the run. */
  rpo: { seconds: number | null };
}

/** What every step of one run shares. */
export interface RecoveryBase {
  settings: RecoverDatabaseSettings;
  details: RecoverDetails;
  log: Logger;
  now: () => Date;
  run: RunContext;
  secrets: (string | undefined)[];
  signal?: AbortSignal;
  /** The step's environment: the commands get its application variables (util/child-env.ts), the smoke command what smoke-env names. */
  env?: NodeJS.ProcessEnv;
}
