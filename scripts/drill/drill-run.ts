import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../../src/report/report.js';
import { formatDuration } from '../../src/util/format.js';
import { runBundledAction, type BundledActionRun } from '../../harness/bundled-action.js';
import { runBundledCli } from '../../harness/bundled-cli.js';
import type { HealthServer } from '../../harness/health-server.js';
import type { ArchivingPrimary } from '../../harness/point-in-time.js';
import type { PostgresServer } from '../../harness/postgres.js';
import type { RestoreService } from '../../harness/rds-restores.js';
import type { SaasDataset } from '../../harness/saas-dataset.js';
import type { Stack } from '../../harness/stack.js';
import type { StreamingReplica } from '../../harness/streaming-replica.js';
import { stopApplication, type DrillApplication } from './application.js';
import type { DrillOptions } from './options.js';

/** Every server and service the drill started, kept as soon as it runs, so that stopping ends it even when a later one failed. */
export interface Started {
  stack?: Stack;
  /** The drill's production server: it archives its WAL, so RDS's point-in-time restores of it are real ones. */
  production?: ArchivingPrimary;
  /** The new, empty server of the plan's infrastructure rebuild. */
  newServer?: PostgresServer;
  restores?: RestoreService;
  replica?: StreamingReplica;
  health?: HealthServer;
  /** The application recover-database stops and starts, and recover-application crashes and restarts. */
  application?: DrillApplication;
  /** Ports of the servers RDS's restores were served by, so the drill can say none is left running. */
  restoredPorts: number[];
}

export interface StepResult {
  name: string;
  passed: boolean;
  seconds: number;
  detail: string;
}

export interface ActionOptions {
  /** The step's own environment, as `env:` gives a workflow step its secrets. */
  env?: Record<string, string>;
  /** The job summary's file name in summaries/ (without .md), when the action runs more than once; its name by default. */
  summary?: string;
  /** `command line`: through `dr-actions <action> --<input> <value>`, as an engineer runs it when GitHub is down. */
  through?: 'runner' | 'command line';
}

/** The production corruption the drill caused, as corrupt-production.ts measured it. */
export interface Corruption {
  /** When the bad migration committed (the server's clock). */
  at: string;
  /** ISO, to the millisecond: after the events were committed, before the bad migration began; what a point-in-time recovery restores. */
  justBefore: string;
  /** Payments in production just before it: the backup's, and those taken after the backup. */
  paymentsBefore: number;
  /** The rows it deleted, all of them in the backup. */
  deleted: number;
  /** Events production wrote after the backup and before the corruption: lost to a recovery from the backup. */
  eventsAfterBackup: number;
}

/** The errors an action printed: `::error::` lines from the runner's environment, `Error:` lines from the command line. */
function errorsOf(run: BundledActionRun, through: ActionOptions['through']): string[] {
  const [text, prefix] = through === 'command line' ? [run.stderr, 'Error: '] : [run.stdout, '::error::'];
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

/** One drill: its options, what it started, what its steps found, and the way its steps run the bundled actions. */
export class DrillRun {
  readonly started: Started = { restoredPorts: [] };
  readonly steps: StepResult[] = [];
  /** The sample database's rows, as created (before production's later writes). */
  dataset?: SaasDataset;
  corruption?: Corruption;
  /** The drill report's file, once drill-report wrote it. */
  drillReport?: string;
  readonly startedAt = Date.now();
  readonly reportsDir: string;
  private readonly runId = `local-${Math.floor(this.startedAt / 1000)}`;

  constructor(readonly options: DrillOptions) {
    this.reportsDir = join(options.outDir, 'reports');
  }

  /** The running test stack; a step that needs it runs after the step that starts it. */
  get stack(): Stack {
    if (!this.started.stack) throw new Error('the test stack is not running');
    return this.started.stack;
  }

  get production(): ArchivingPrimary {
    if (!this.started.production) throw new Error('the production server is not running');
    return this.started.production;
  }

  say(line: string): void {
    if (!this.options.json)
      process.stdout.write(`[${formatDuration((Date.now() - this.startedAt) / 1000).padStart(9)}] ${line}\n`);
  }

  /** Runs actions/<name>/dist/index.js as the runner would (or through the command line); keeps its job summary; throws its errors when it fails. */
  async action(name: string, inputs: Record<string, string>, options: ActionOptions = {}): Promise<BundledActionRun> {
    const { outDir } = this.options;
    const runIt = options.through === 'command line' ? runBundledCli : runBundledAction;
    const run = await runIt(name, inputs, {
      cwd: outDir,
      // No GITHUB_REPOSITORY: a local run has no page on GitHub to link to.
      env: {
        GITHUB_WORKSPACE: outDir,
        GITHUB_RUN_ID: this.runId,
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_WORKFLOW: 'local drill',
        ...options.env,
      },
    });
    await writeFile(join(outDir, 'summaries', `${options.summary ?? name}.md`), run.summary);
    // What the engineer saw in the terminal: the evidence that the step ran through dr-actions.
    if (options.through === 'command line')
      await writeFile(join(outDir, 'summaries', `${options.summary ?? name}.terminal.txt`), run.stdout + run.stderr);
    if (run.exitCode !== 0) {
      const errors = errorsOf(run, options.through);
      throw new Error(errors.join('; ') || `${name} exited with code ${run.exitCode}`);
    }
    return run;
  }

  /** Where an action's report goes (`file`: one of settings.ts's REPORT). */
  reportPath(file: string): string {
    return join(this.reportsDir, file);
  }

  async readReport<R extends Report = Report>(file: string): Promise<R | undefined> {
    try {
      return JSON.parse(await readFile(this.reportPath(file), 'utf8')) as R;
    } catch {
      return undefined;
    }
  }

  /** Stops what the drill started; with --keep, the servers stay up (RDS's restored instance goes: the action deleted it). */
  async stop(): Promise<void> {
    const { health, application, restores, replica, newServer, production, stack } = this.started;
    await health?.close();
    if (application) await stopApplication(application);
    await restores?.stop();
    if (this.options.keep) return;
    await replica?.stop();
    await newServer?.stop();
    await production?.stop();
    await stack?.stop();
  }
}

/** Where a secret would show: what the action printed (but the line that masks it), its summary and its report. */
export function leaks(secret: string, run: BundledActionRun, report: string): boolean {
  const printed = run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
  return [...printed, run.stderr, run.summary, report].some((text) => text.includes(secret));
}
