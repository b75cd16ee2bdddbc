import type { BackupStore } from '../storage/backup-store.js';
import type { RecoveryBase } from './context.js';

/** What every step of a recovery from a backup shares: the run and the store the backup is read from. */
export interface RecoveryRun extends RecoveryBase {
  store: BackupStore;
}
