/**
 * The drill's steps, in the order the drill runs them. A new step is one file in steps/ exporting a
 * DrillStep (its name, what it needs, its run) and one line here; its report, if it writes one, is
 * a line in settings.ts's REPORT so that the drill report and the verdict find it.
 */
import type { DrillStep } from './step.js';
import { auditPrerequisites } from './steps/audit.js';
import { backUp } from './steps/backup.js';
import { corruptProduction } from './steps/corrupt-production.js';
import { writeDrillReport } from './steps/drill-report.js';
import { failOver } from './steps/failover.js';
import { restoreRdsRecoveryPoint } from './steps/rds-recovery-point.js';
import { rebuildOntoEmptyServer } from './steps/rebuild.js';
import { recoverApplication } from './steps/recover-application.js';
import { recoverDatabase } from './steps/recover-database.js';
import { recoverDatabaseFromRds } from './steps/recover-database-rds.js';
import { restoreFromCopy } from './steps/restore-from-copy.js';
import { createSampleDatabase } from './steps/sample-database.js';
import { startTheStack } from './steps/start-stack.js';

export const DRILL_STEPS: readonly DrillStep[] = [
  startTheStack,
  createSampleDatabase,
  backUp,
  restoreFromCopy,
  rebuildOntoEmptyServer,
  restoreRdsRecoveryPoint,
  auditPrerequisites,
  failOver,
  // After the failover: the RDS restore and the failover proved production before it was damaged.
  corruptProduction,
  // RDS first: it changes only RDS's identifiers and restores into a new server from the WAL, so the
  // recovery from the backup still finds production's database as the corruption left it. The other
  // way round, production's database would by then hold the backup's data, not the damage RDS replaces.
  recoverDatabaseFromRds,
  recoverDatabase,
  recoverApplication,
  // Last: it gathers the reports of every step before it.
  writeDrillReport,
];
