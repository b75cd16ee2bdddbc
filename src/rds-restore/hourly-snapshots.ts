import type { RDSClient } from '@aws-sdk/client-rds';
import { createRdsClient } from '../aws/clients.js';
import { copySnapshot, createSnapshot, deleteSnapshot } from '../aws/rds-snapshot-writes.js';
import { listSnapshots, type SnapshotState } from '../aws/rds-snapshots.js';
import type { RunContext } from '../github/run-context.js';
import { newReport, StepRecorder, writeReport, type Report } from '../report/report.js';
import { notApplicable, StepPipeline } from '../report/step-pipeline.js';
import { decideRetention, type RetentionPolicy } from '../retention/retention.js';
import { pollUntil, type Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { plural } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import type { HourlySnapshotSettings } from './inputs.js';
import { madeByThisMode, SNAPSHOT_MADE_BY, SNAPSHOT_OF_TAG, snapshotId, type SnapshotPlace } from './own-snapshots.js';
import { MADE_BY_TAG, RUN_TAG, runTagValue } from './tags.js';

export const SNAPSHOT_REPORT_KIND = 'rds-snapshot';

export interface RetentionOutcome {
  region: string;
  kept: { id: string; reasons: string[] }[];
  deleted: { id: string; reasons: string[] }[];
  /** Automated snapshots, and manual ones this mode did not make (copies of its own included): never touched. */
  untouched: number;
}

export interface HourlySnapshotDetails {
  instanceId: string;
  sourceRegion: string;
  copyRegion?: string;
  snapshot?: { id: string; arn: string; dataAt?: string };
  copy?: { id: string; arn: string; region: string; encryptedWith?: string };
  retention: RetentionOutcome[];
}

export type HourlySnapshotReport = Report<typeof SNAPSHOT_REPORT_KIND, HourlySnapshotDetails>;

export interface HourlySnapshotOptions extends HourlySnapshotSettings {
  run: RunContext;
  log: Logger;
  clock?: Clock;
  poll?: Backoff;
}

export interface HourlySnapshotResult {
  report: HourlySnapshotReport;
  passed: boolean;
  reportPath: string;
  snapshotId?: string;
  copiedSnapshotId?: string;
}

const POLL: Backoff = { initialMs: 10_000, maxMs: 60_000, factor: 1.5 };

async function waitAvailable(
  client: RDSClient,
  id: string,
  region: string,
  options: HourlySnapshotOptions,
  clock: Clock,
): Promise<SnapshotState> {
  const started = clock.now();
  const outcome = await pollUntil(
    async () => (await listSnapshots(client, { snapshotId: id }))[0],
    (s) => s?.status === 'available' || s?.status === 'failed',
    { deadline: started + options.waitTimeoutMinutes * 60_000, backoff: options.poll ?? POLL, clock },
  );
  if (outcome.value?.status !== 'available') {
    throw new Error(
      `snapshot ${id} in ${region} is ${outcome.value?.status ?? 'missing'} after ${plural(outcome.attempts, 'check')} (wait-timeout-minutes ${options.waitTimeoutMinutes})`,
    );
  }
  return outcome.value;
}

/** Daily/weekly/monthly retention over the snapshots this mode made of the instance in one region; nothing else is touched. */
async function applyRetention(
  client: RDSClient,
  region: string,
  place: SnapshotPlace,
  policy: RetentionPolicy,
  now: Date,
  justMade: string,
): Promise<RetentionOutcome> {
  const all = await listSnapshots(client, { instanceId: place.instanceId });
  const ours = all.filter((s) => madeByThisMode(s, place) && s.dataAt);
  const decisions = decideRetention(
    ours.map((s) => ({ key: s.id, finishedAt: s.dataAt as Date })),
    policy,
    1,
    now,
  );
  const outcome: RetentionOutcome = { region, kept: [], deleted: [], untouched: all.length - ours.length };
  for (const decision of decisions) {
    if (decision.keep || decision.key === justMade) outcome.kept.push({ id: decision.key, reasons: decision.reasons });
    else {
      await deleteSnapshot(client, decision.key);
      outcome.deleted.push({ id: decision.key, reasons: decision.reasons });
    }
  }
  return outcome;
}

const describeRetention = (r: RetentionOutcome) =>
  `${r.region}: kept ${r.kept.length}, deleted ${r.deleted.length}${r.deleted.length ? ` (${r.deleted.map((d) => d.id).join(', ')})` : ''}; ${plural(r.untouched, 'other snapshot')} untouched`;

/**
 * The plan's hourly snapshots: a manual snapshot of the instance, a copy in the secondary region
 * (encrypted with kms-key-id there), and retention over the snapshots this mode made, in both
 * regions. Automated snapshots and snapshots made by anything else are never deleted.
 */
export async function runHourlySnapshots(options: HourlySnapshotOptions): Promise<HourlySnapshotResult> {
  const clock = options.clock ?? systemClock;
  const now = () => new Date(clock.now());
  const startedAt = now();
  const source = createRdsClient({ region: options.sourceRegion, endpointUrl: options.endpointUrl });
  const copyRegion = options.copyRegion;
  const destination = copyRegion
    ? createRdsClient({ region: copyRegion, endpointUrl: options.endpointUrl })
    : undefined;
  const id = snapshotId(options.instanceId, startedAt);
  const tags = {
    [MADE_BY_TAG]: SNAPSHOT_MADE_BY,
    [SNAPSHOT_OF_TAG]: options.instanceId,
    [RUN_TAG]: runTagValue(options.run, ''),
  };
  const details: HourlySnapshotDetails = {
    instanceId: options.instanceId,
    sourceRegion: options.sourceRegion,
    ...(copyRegion ? { copyRegion } : {}),
    retention: [],
  };
  const policy = options.retention;
  const recorder = new StepRecorder(now);

  const pipeline = StepPipeline.start<object>()
    .step('snapshot', {
      name: 'create snapshot',
      input: () => undefined,
      run: async () => {
        await createSnapshot(source, options.instanceId, id, tags);
        const made = await waitAvailable(source, id, options.sourceRegion, options, clock);
        details.snapshot = {
          id: made.id,
          arn: made.arn,
          ...(made.dataAt ? { dataAt: made.dataAt.toISOString() } : {}),
        };
        return made;
      },
      describe: (made) =>
        `${made.id} of ${options.instanceId} in ${options.sourceRegion}, data from ${made.dataAt?.toISOString() ?? 'unknown'}`,
    })
    .optionalStep('copy', {
      name: 'copy to secondary region',
      input: ({ snapshot }) =>
        destination && copyRegion ? { snapshot, destination, copyRegion } : notApplicable('no copy-to-region'),
      run: async ({ snapshot, destination: client, copyRegion: region }) => {
        await copySnapshot(client, snapshot.arn, id, { kmsKeyId: options.kmsKeyId, tags });
        const copied = await waitAvailable(client, id, region, options, clock);
        details.copy = {
          id: copied.id,
          arn: copied.arn,
          region,
          ...(options.kmsKeyId ? { encryptedWith: options.kmsKeyId } : {}),
        };
        return copied;
      },
      describe: (copied) => `${copied.id} in ${copyRegion}${options.kmsKeyId ? ` (KMS key ${options.kmsKeyId})` : ''}`,
    })
    .check('sourceRetention', {
      name: `retention in ${options.sourceRegion}`,
      input: () => (policy === 'off' ? notApplicable('retention: off') : policy),
      run: async (p) => {
        const outcome = await applyRetention(
          source,
          options.sourceRegion,
          { instanceId: options.instanceId },
          p,
          now(),
          id,
        );
        details.retention.push(outcome);
        return outcome;
      },
      describe: describeRetention,
    });
  const withCopyRetention =
    destination && copyRegion
      ? pipeline.check('copyRetention', {
          name: `retention in ${copyRegion}`,
          input: () => (policy === 'off' ? notApplicable('retention: off') : policy),
          run: async (p) => {
            const outcome = await applyRetention(
              destination,
              copyRegion,
              { instanceId: options.instanceId, copiedFromRegion: options.sourceRegion },
              p,
              now(),
              id,
            );
            details.retention.push(outcome);
            return outcome;
          },
          describe: describeRetention,
        })
      : pipeline;
  const { reasons, steps } = await withCopyRetention.run({}, { recorder, onFailure: 'collect', log: options.log });
  const report = newReport({
    kind: SNAPSHOT_REPORT_KIND,
    run: options.run,
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    passed: reasons.length === 0,
    reasons,
    steps,
    objectives: [],
    checklist: [],
    details,
  });
  await writeReport(options.reportPath, report);
  return {
    report,
    passed: report.passed,
    reportPath: options.reportPath,
    snapshotId: details.snapshot?.id,
    copiedSnapshotId: details.copy?.id,
  };
}
