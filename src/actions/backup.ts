import * as core from '@actions/core';
import { parseBackupInputs } from '../backup/inputs.js';
import { runBackup } from '../backup/run-backup.js';
import { backupMarkdown } from '../backup/summary.js';
import { runContextFromEnv } from '../github/run-context.js';
import { actionLogger, maskDatabaseUrl, readInput, runAction, writeSummary } from './runtime.js';

/** The action: src/entrypoints/backup.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskDatabaseUrl('database-url');
    const settings = parseBackupInputs(readInput);
    const result = await runBackup({ ...settings, run: runContextFromEnv(), log: actionLogger });

    core.setOutput('key', result.key);
    core.setOutput('manifest-key', result.manifestKey);
    core.setOutput('sha256', result.manifest.sha256);
    core.setOutput('size-bytes', String(result.manifest.sizeBytes));
    core.setOutput('duration-seconds', String(result.durationSeconds));
    core.setOutput('tables', String(result.manifest.tables.length));
    core.setOutput('globals-key', result.manifest.globals?.status === 'stored' ? result.manifest.globals.key : '');
    core.setOutput('pruned-count', String(result.retention?.prunedCount ?? 0));
    await writeSummary(backupMarkdown(result));

    if (result.retentionError) {
      throw new Error(`the backup was stored (${result.key}), but retention failed: ${result.retentionError}`);
    }
  });
}
