import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { findClient, type ClientBinary } from '../postgres/binaries.js';
import { quoteIdent } from '../postgres/identifiers.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { withSession } from '../postgres/with-session.js';
import { notApplicable, StepPipeline, type Step } from '../report/step-pipeline.js';
import type { BackupStore } from '../storage/backup-store.js';
import type { BackupManifest } from '../storage/manifest.js';
import { formatBytes, formatDuration } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { compareWithManifest, downloadToFile, type Downloaded } from '../storage/backup-download.js';
import {
  compareParts,
  downloadBytesOf,
  downloadParts,
  partsOnDisk,
  type DownloadedPart,
  type ReadPart,
} from '../storage/backup-parts.js';
import { restoreInSections } from '../postgres/restore-sections.js';
import type { RestoreVerifySettings } from './inputs.js';
import { backupDetails, STEP, UNVERIFIABLE, type RestoreVerifyDetails } from './restore-report.js';
import { findRestoreClient, restoreCustom, restorePlain, restoreSessionOptions } from '../postgres/restore-process.js';
import { ownershipStep } from './rebuild.js';
import {
  createRolesStep,
  databaseSettingsStep,
  findRolesStep,
  type RolesContext,
  type RolesResult,
} from '../storage/stored-roles.js';
import { measureRpo } from './rpo.js';
import { proveWithChecks, proveWithSmoke } from '../checks/user-proof.js';
import { sameDatabaseResolved } from './same-database.js';
import {
  createScratchDatabase,
  dropScratchDatabase,
  inspectTarget,
  refuseUnsafeTarget,
  type TargetState,
} from '../postgres/scratch-database.js';
import { claimTarget, type TargetClaim } from '../postgres/target-claim.js';
import { readCatalog, selectBackup, type Selection } from '../storage/backup-selection.js';
import { verifyAgainstManifest } from '../checks/verify-tables.js';
import type { ReadObject } from '../storage/streamed-restore-source.js';
import { restoreStreamed, STREAMED } from './streamed-restore.js';
import { restoreStreamedParts, type StreamedParts } from './streamed-parts.js';
import {
  checkDisk,
  describeDisk,
  restoredEstimate,
  serverFolder,
  statfsProbe,
  type DiskProbe,
} from './disk-preflight.js';
import { readServerDataLocation } from '../postgres/server-disk.js';

/** What every step of one restore-verify run shares: its settings, the bucket, and the report details the steps fill in. */
export interface RestoreRun {
  settings: RestoreVerifySettings;
  store: BackupStore;
  details: RestoreVerifyDetails;
  log: Logger;
  now: () => Date;
  random: () => number;
  secrets: (string | undefined)[];
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Set by preflight; whoever runs the steps releases it after the last one. */
  claim?: TargetClaim;
  /** This run as the scratch database's mark names it (the workflow run's URL, else its id). */
  madeBy: string;
  /** The free space of a folder's filesystem; tests pass their own. */
  probeDisk?: DiskProbe;
}

/** The target database as preflight found it, and the tools to restore into it. */
export interface PreparedTarget {
  psqlPath: string;
  state: TargetState;
  client: ClientBinary;
}

export interface DownloadedBackup extends Downloaded {
  /** The temporary directory the file is in; removed at the end of the run. */
  dir: string;
  /** A parallel backup's data parts, downloaded beside the schema's file. */
  parts?: DownloadedPart[];
}

export interface CreatedDatabase {
  /** False when the run restores into an empty database it found (and so must leave in place). */
  created: boolean;
  detail: string;
}

async function selectStep(run: RestoreRun): Promise<Selection> {
  const catalog = await readCatalog(run.store);
  run.details.catalog = {
    complete: catalog.complete.length,
    withoutManifest: catalog.withoutManifest.length,
    invalidManifests: catalog.invalid.map((i) => ({ key: i.backup.key, error: i.error })),
  };
  run.details.rpo = measureRpo(
    catalog.complete.map((c) => ({ key: c.backup.key, snapshotAt: c.snapshotAt })),
    run.now(),
  );
  const chosen = await selectBackup(run.store, catalog, run.settings.backup, run.random);
  run.details.backup = backupDetails(chosen, run.now());
  return chosen;
}

async function preflightStep(run: RestoreRun, chosen: Selection): Promise<PreparedTarget> {
  const { target, source, allowOverwrite, jobs } = run.settings;
  const psqlPath = (await findClient('psql')).path;
  if (source && (await sameDatabaseResolved(target, source))) {
    throw new ConfigurationError(
      `target-database-url resolves to the same database as source-database-url (${target.display}); name a scratch database`,
    );
  }
  run.claim = await claimTarget(target, psqlPath);
  const state = await inspectTarget(target, psqlPath);
  run.details.target.serverVersion = state.serverVersion;
  run.details.target.serverSettings = state.settings;
  run.details.target.existed = state.exists;
  refuseUnsafeTarget(state, target, allowOverwrite);
  await diskPreflight(run, chosen, { psqlPath, state });
  const client = await findRestoreClient(chosen.backup.format, chosen.manifest?.pgDump.version, state);
  // From a stream pg_restore runs one process; a parallel backup's parts are each such a stream.
  const parallel = run.settings.download === 'file' || Boolean(chosen.manifest?.parts);
  const restoreJobs = chosen.backup.format === 'custom' && parallel ? jobs : 1;
  run.details.restore = {
    tool: client.tool,
    version: client.version,
    jobs: restoreJobs,
    sessionOptions: restoreSessionOptions(restoreJobs),
  };
  const dumpedFrom = chosen.manifest?.server.versionNum;
  if (dumpedFrom && Math.floor(dumpedFrom / 10000) > state.serverMajor) {
    run.log.warning(
      `the backup comes from PostgreSQL ${chosen.manifest?.server.version}, the target runs ${state.serverVersion}: restoring into an older server can fail`,
    );
  }
  return { psqlPath, state, client };
}

/** Fails now, before anything is downloaded or created, when what the run will write cannot fit. */
async function diskPreflight(
  run: RestoreRun,
  { backup, manifest }: Selection,
  { psqlPath, state }: { psqlPath: string; state: TargetState },
): Promise<void> {
  const { target, tempDir, download, diskCheck } = run.settings;
  if (!diskCheck) return;
  const location = await readServerDataLocation(target, psqlPath);
  run.details.disk = await checkDisk({
    download,
    downloadFolder: tempDir,
    archiveBytes: downloadBytesOf(manifest, manifest?.sizeBytes ?? backup.object.sizeBytes),
    ...(manifest?.parts ? { schemaBytes: manifest.sizeBytes } : {}),
    restoredBytes: restoredEstimate(manifest),
    server: await serverFolder(target, location, state.settings, tempDir),
    probe: run.probeDisk ?? statfsProbe,
  });
}

function describeTarget(run: RestoreRun, { state, client }: PreparedTarget): string {
  const where = state.exists
    ? state.leftBy
      ? `was left by an earlier run that did not finish (${state.leftBy}) and will be dropped and recreated`
      : run.settings.allowOverwrite && state.relationCount > 0
        ? 'exists and will be dropped and recreated (allow-overwrite)'
        : 'exists and is empty'
    : 'will be created';
  const disk = run.details.disk ? `; ${describeDisk(run.details.disk)}` : '; disk-check: false, free space not checked';
  return `${run.settings.target.display} on PostgreSQL ${state.serverVersion} ${where}; ${client.tool} ${client.version}${disk}`;
}

async function downloadStep(run: RestoreRun, { backup, manifest }: Selection): Promise<DownloadedBackup> {
  const dir = await mkdtemp(join(run.settings.tempDir, 'dr-actions-restore-'));
  try {
    const path = join(dir, basename(backup.key));
    const options = { log: run.log, signal: run.signal, now: run.now };
    const [downloaded, parts] = await Promise.all([
      downloadToFile(run.store, backup.key, path, { ...options, storageChecksum: !manifest }),
      manifest?.parts
        ? downloadParts(run.store, manifest.parts, dir, { ...options, jobs: run.settings.jobs })
        : undefined,
    ]);
    if (run.details.backup) {
      const { bytes, sha256, seconds, storageChecksumChecked } = downloaded;
      run.details.backup.downloaded = { bytes, sha256, seconds, storageChecksumChecked };
    }
    return { ...downloaded, dir, ...(parts ? { parts } : {}) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Creates the scratch database. One that exists is restored into as it is, or, with allow-overwrite
 * or when an earlier run left it (its mark, and this run's claim on the name: no run is using it),
 * dropped and recreated first.
 */
async function createDatabaseStep(run: RestoreRun, { psqlPath, state }: PreparedTarget): Promise<CreatedDatabase> {
  const { target, allowOverwrite, keepDatabase } = run.settings;
  const replaces = state.exists && (allowOverwrite || state.leftBy);
  await run.claim?.assertHeld({
    before: `${replaces ? 'dropping and recreating' : state.exists ? 'restoring into' : 'creating'} ${target.display}`,
    done: `no database was created, changed or dropped${state.exists ? ` (${target.display} is as it was)` : ''}`,
    next: 'Run again once no other run uses the target database.',
  });
  if (state.exists && !allowOverwrite && !state.leftBy)
    return {
      created: false,
      detail: `${target.display} exists and is empty: restoring into it; it is kept afterwards, as this run did not create it`,
    };
  if (state.exists) await dropScratchDatabase(target, psqlPath, state.serverMajor);
  await createScratchDatabase(target, psqlPath, keepDatabase ? undefined : { madeBy: run.madeBy, at: run.now() });
  run.details.target.created = true;
  const dropped = state.leftBy
    ? `dropped ${target.display}, left by an earlier run that did not finish (${state.leftBy}), and recreated it`
    : `dropped and recreated ${target.display} (allow-overwrite)`;
  return { created: true, detail: state.exists ? dropped : `created ${target.display}` };
}

async function restoreStep(
  run: RestoreRun,
  {
    selection,
    prepared,
    file,
    parts,
  }: { selection: Selection; prepared: PreparedTarget; file: string; parts?: DownloadedPart[] },
): Promise<void> {
  const { target, jobs } = run.settings;
  try {
    if (parts)
      await restoreInSections(prepared.client, target, partsOnDisk(file, parts), {
        jobs,
        signal: run.signal,
        withOwners: run.settings.rebuild,
      });
    else if (selection.backup.format === 'custom')
      await restoreCustom(prepared.client, target, file, jobs, run.signal, run.settings.rebuild);
    else await restorePlain(prepared.client, target, file, run.signal);
  } finally {
    // The file is no longer needed; free the disk while the checks run.
    await rm(file, { force: true });
  }
}

async function verifyStep(
  run: RestoreRun,
  { manifest, psqlPath }: { manifest: BackupManifest; psqlPath: string },
): Promise<string> {
  return withSession(PsqlSession.open(run.settings.target, { psqlPath }), async (session) => {
    const verified = await verifyAgainstManifest(session, manifest);
    run.details.tables = verified.tables;
    if (verified.failure) throw verified.failure;
    return verified.detail;
  });
}

async function dropStep(
  run: RestoreRun,
  { psqlPath, serverMajor, cancelled }: { psqlPath: string; serverMajor: number; cancelled: boolean },
): Promise<string> {
  if (cancelled) run.log.info('dropping the scratch database after the cancellation');
  const { display } = run.settings.target;
  await run.claim?.assertHeld({
    before: `dropping ${display}`,
    done: 'created it and restored the backup into it; it is left as it is (another run may be using it now)',
    next: `The next run on this target finds it left by this run and drops and recreates it; or, once no run uses it, drop it: DROP DATABASE ${quoteIdent(run.settings.target.database)};`,
  });
  await dropScratchDatabase(run.settings.target, psqlPath, serverMajor);
  run.details.target.dropped = true;
  return `dropped ${run.settings.target.display}`;
}

/** Why the drop step does not apply, or what it drops with. */
function dropInput(run: RestoreRun, prepared: PreparedTarget | undefined, database: CreatedDatabase | undefined) {
  const { target, allowOverwrite, keepDatabase } = run.settings;
  if (!database?.created || !prepared) {
    // What preflight saw of the target, even when it then refused it.
    const existed = run.details.target.existed === true;
    return notApplicable(
      existed && !allowOverwrite
        ? 'not created by this run: left in place'
        : 'nothing to drop: no database was created',
    );
  }
  if (keepDatabase) return notApplicable(`keep-database: ${target.display} was kept`);
  return {
    psqlPath: prepared.psqlPath,
    serverMajor: prepared.state.serverMajor,
    cancelled: run.signal?.aborted ?? false,
  };
}

const detailIs = (detail: string) => detail;
const noManifest = (selection: Selection | undefined, why: string) =>
  selection && !selection.manifest ? `${UNVERIFIABLE}: ${why}` : undefined;
const CHECKSUM_NOT_COMPARED = 'the SHA-256 is recorded, not compared';
const ROWS_NOT_COMPARED = 'row counts not compared';

/** The size and SHA-256 of the bytes that were read (`read` picks them from the results) against the manifest. */
function checksumStep<Results extends { selection: Selection }>(
  run: RestoreRun,
  read: (results: Results) => ReadObject & { parts?: ReadPart[] },
): Step<Results, { download: ReadObject & { parts?: ReadPart[] }; manifest: BackupManifest; key: string }, void> {
  return {
    name: STEP.checksum,
    skip: ({ selection }) => noManifest(selection, CHECKSUM_NOT_COMPARED),
    input: (results) =>
      results.selection.manifest
        ? { download: read(results), manifest: results.selection.manifest, key: results.selection.backup.key }
        : notApplicable(`${UNVERIFIABLE}: ${CHECKSUM_NOT_COMPARED}`),
    run: async ({ download, manifest, key }) => {
      compareWithManifest(download, manifest, `s3://${run.settings.bucket}/${key}`);
      compareParts(download.parts ?? [], run.settings.bucket);
    },
    describe: (_result, { download }) =>
      download.parts
        ? `size and SHA-256 of the schema and of each of its ${download.parts.length} data parts match the manifest`
        : 'size and SHA-256 match the manifest',
  };
}

/** The roles a restore into the target needs, as the stored globals give them. */
function rolesContext(run: RestoreRun): RolesContext {
  return {
    target: run.settings.target,
    rolePasswords: run.settings.rolePasswords,
    existingRoles: run.settings.existingRoles,
    store: run.store,
    details: run.details,
    log: run.log,
  };
}

const NO_ROLES = 'the manifest lists no roles (taken with globals: off, or by an older version)';

function rolesStepOf(
  run: RestoreRun,
): Step<
  { selection: Selection; prepared: PreparedTarget },
  { manifest?: BackupManifest; psqlPath: string },
  RolesResult
> {
  const describe = (roles: RolesResult) => roles.detail;
  if (run.settings.rebuild) {
    return {
      name: STEP.roles,
      input: ({ selection, prepared }) => ({ manifest: selection.manifest, psqlPath: prepared.psqlPath }),
      run: ({ manifest, psqlPath }) => createRolesStep(rolesContext(run), manifest, psqlPath),
      describe,
    };
  }
  return {
    name: STEP.roles,
    input: ({ selection, prepared }) =>
      selection.manifest?.roles
        ? { manifest: selection.manifest, psqlPath: prepared.psqlPath }
        : notApplicable(selection.manifest ? NO_ROLES : `${UNVERIFIABLE}: roles not checked`),
    run: ({ manifest, psqlPath }) => findRolesStep(rolesContext(run), manifest, psqlPath),
    describe,
  };
}

function databaseSettingsStepOf(
  run: RestoreRun,
): Step<{ roles?: RolesResult; prepared: PreparedTarget }, { sql: string[]; psqlPath: string }, string> {
  return {
    name: STEP.databaseSettings,
    input: ({ roles, prepared }) =>
      roles?.databaseSql
        ? { sql: roles.databaseSql, psqlPath: prepared.psqlPath }
        : notApplicable("no stored globals: the database's own settings were not restored"),
    run: ({ sql, psqlPath }) => databaseSettingsStep(rolesContext(run), sql, psqlPath),
    describe: detailIs,
  };
}

function ownershipStepOf(
  run: RestoreRun,
): Step<{ selection: Selection; prepared: PreparedTarget }, { manifest: BackupManifest; server: TargetState }, string> {
  return {
    name: STEP.ownership,
    input: ({ selection, prepared }) =>
      selection.manifest?.roles ? { manifest: selection.manifest, server: prepared.state } : notApplicable(NO_ROLES),
    run: ({ manifest, server }) => ownershipStep(run, manifest, server),
    describe: detailIs,
  };
}

function describeDownload(d: ReadObject): string {
  return `${formatBytes(d.bytes)} in ${formatDuration(d.seconds)} (${formatBytes(d.bytes / Math.max(d.seconds, 0.001))}/s), SHA-256 ${d.sha256}`;
}

/** What streamed into the restore: the object, or a parallel backup's schema (downloaded) and its parts. */
function describeStreamed(read: ReadObject & { parts?: ReadPart[] }): string {
  if (!read.parts) return describeDownload(read);
  const partBytes = read.parts.reduce((sum, part) => sum + part.bytes, 0);
  return `the schema ${describeDownload(read)}; ${read.parts.length} data parts, ${formatBytes(partBytes)}, streamed with their SHA-256 checked at each one's end`;
}

function describeRestore(
  run: RestoreRun,
  { selection, prepared }: { selection: Selection; prepared: PreparedTarget },
): string {
  const parts = selection.manifest?.parts;
  const how =
    run.settings.download === 'stream'
      ? parts
        ? ` reading each data part as it arrives (download: stream, ${run.settings.jobs} jobs)`
        : ' reading the object as it arrives (download: stream, one process)'
      : selection.backup.format === 'custom'
        ? ` with ${run.settings.jobs} jobs`
        : '';
  const plain = selection.backup.format === 'plain' ? ' (plain SQL, ON_ERROR_STOP)' : '';
  const sections = parts
    ? `: the schema, then ${parts.length} data parts in parallel, then indexes and constraints`
    : '';
  return `${prepared.client.tool} ${prepared.client.version}${how}${plain}${sections}${run.settings.rebuild ? ', with owners and privileges' : ''}`;
}

/** Select and preflight: what every run does before anything is downloaded or created. */
function preparedSteps(run: RestoreRun) {
  return StepPipeline.start<object>()
    .step('selection', {
      name: STEP.select,
      input: () => run,
      run: selectStep,
      describe: (chosen) => `${chosen.backup.key}: ${chosen.reason}${chosen.manifest ? '' : ` (${UNVERIFIABLE})`}`,
    })
    .step('prepared', {
      name: STEP.preflight,
      input: ({ selection }) => selection,
      run: (selection) => preflightStep(run, selection),
      describe: (prepared) => describeTarget(run, prepared),
    });
}

type Prepared = ReturnType<typeof preparedSteps>;

/** What the steps after the restore read, whichever way the backup reached the restore. */
type Restored = StepPipeline<{
  selection: Selection;
  prepared: PreparedTarget;
  download?: DownloadedBackup;
  roles?: RolesResult;
  database: CreatedDatabase;
}>;

const createDatabaseStepOf = (run: RestoreRun) => ({
  name: STEP.createDatabase,
  input: ({ prepared }: { prepared: PreparedTarget }) => prepared,
  run: (prepared: PreparedTarget) => createDatabaseStep(run, prepared),
  describe: (database: CreatedDatabase) => database.detail,
});

/** download: file. The object to a file, its checksum, then the restore from the file (in parallel for custom format). */
function restoredFromFile(run: RestoreRun, prepared: Prepared): Restored {
  return prepared
    .step('download', {
      name: STEP.download,
      input: ({ selection }) => selection,
      run: (selection) => downloadStep(run, selection),
      describe: describeDownload,
    })
    .optionalStep(
      'checksum',
      checksumStep(run, ({ download }) => download),
    )
    .optionalStep('roles', rolesStepOf(run))
    .step('database', createDatabaseStepOf(run))
    .step('restored', {
      name: STEP.restore,
      input: ({ selection, prepared, download }) => ({
        selection,
        prepared,
        file: download.path,
        parts: download.parts,
      }),
      run: (input) => restoreStep(run, input),
      describe: (_result, input) => describeRestore(run, input),
    });
}

/**
 * download: stream. The restore reads the object as it arrives; its checksum is compared after it, and a mismatch fails
 * the run (the drop still runs). A parallel backup's parts stream at once, each checked at its end inside the restore.
 */
function restoredFromStream(run: RestoreRun, prepared: Prepared): Restored {
  return prepared
    .skipped(STEP.download, STREAMED)
    .optionalStep('roles', rolesStepOf(run))
    .step('database', createDatabaseStepOf(run))
    .step('restored', {
      name: STEP.restore,
      input: ({ selection, prepared }) => ({ selection, prepared }),
      run: (input) => streamedRestoreStep(run, input),
      describe: (read, input) => `${describeRestore(run, input)}; ${describeStreamed(read)}`,
    })
    .optionalStep(
      'checksum',
      checksumStep(run, ({ restored }) => restored),
    );
}

async function streamedRestoreStep(
  run: RestoreRun,
  { selection, prepared }: { selection: Selection; prepared: PreparedTarget },
): Promise<ReadObject & { parts?: ReadPart[] }> {
  const read = await (selection.manifest?.parts
    ? streamedPartsOf(run, selection, selection.manifest, prepared)
    : streamedObjectOf(run, selection, prepared));
  if (run.details.backup) {
    const { bytes, sha256, seconds, storageChecksumChecked } = read;
    run.details.backup.downloaded = { bytes, sha256, seconds, storageChecksumChecked };
  }
  return read;
}

function streamedPartsOf(
  run: RestoreRun,
  { backup }: Selection,
  manifest: BackupManifest,
  prepared: PreparedTarget,
): Promise<StreamedParts> {
  return restoreStreamedParts({
    store: run.store,
    key: backup.key,
    listedBytes: backup.object.sizeBytes,
    manifest,
    client: prepared.client,
    target: run.settings.target,
    withOwners: run.settings.rebuild,
    jobs: run.settings.jobs,
    tempDir: run.settings.tempDir,
    log: run.log,
    now: run.now,
    signal: run.signal,
  });
}

function streamedObjectOf(run: RestoreRun, selection: Selection, prepared: PreparedTarget): Promise<ReadObject> {
  return restoreStreamed({
    store: run.store,
    key: selection.backup.key,
    format: selection.backup.format,
    hasManifest: Boolean(selection.manifest),
    client: prepared.client,
    target: run.settings.target,
    withOwners: run.settings.rebuild,
    log: run.log,
    now: run.now,
    signal: run.signal,
  });
}

/**
 * The restore-verify run as a list of steps: select, preflight, download, checksum, roles, create,
 * restore (each blocking the rest when it fails), then the verifications (each on its own), then
 * the drop (whatever happened). With download: stream the restore reads the object as it arrives
 * and the checksum follows it. The temporary directory goes before the drop. A rebuild adds the
 * database's own settings after the restore and the ownership check after the verification.
 */
export function restoreVerifySteps(run: RestoreRun) {
  const { checks, smokeCommand, rebuild } = run.settings;
  const prepared = preparedSteps(run);
  const restored =
    run.settings.download === 'stream' ? restoredFromStream(run, prepared) : restoredFromFile(run, prepared);
  const settled = rebuild ? restored.optionalStep('databaseSettings', databaseSettingsStepOf(run)) : restored;
  const verified = settled.check('verified', {
    name: STEP.verify,
    skip: ({ selection }) => noManifest(selection, ROWS_NOT_COMPARED),
    input: ({ selection, prepared }) =>
      selection.manifest
        ? { manifest: selection.manifest, psqlPath: prepared.psqlPath }
        : notApplicable(`${UNVERIFIABLE}: ${ROWS_NOT_COMPARED}`),
    run: (input) => verifyStep(run, input),
    describe: detailIs,
  });
  const pipeline = rebuild ? verified.check('ownership', ownershipStepOf(run)) : verified;
  const withChecks = checks
    ? pipeline.check('checked', {
        name: STEP.checks,
        input: ({ prepared }) => prepared.psqlPath,
        run: (psqlPath) => proveWithChecks(run, checks, run.settings.target, psqlPath),
        describe: detailIs,
      })
    : pipeline.skipped(STEP.checks, 'no checks file');
  const withSmoke = smokeCommand
    ? withChecks.check('smoke', {
        name: STEP.smoke,
        input: () => smokeCommand,
        run: (words) => proveWithSmoke(run, words, run.settings.target),
        describe: detailIs,
      })
    : withChecks.skipped(STEP.smoke, 'no smoke-command');
  return withSmoke
    .finally(async ({ download }) => {
      if (download) await rm(download.dir, { recursive: true, force: true });
    })
    .always('dropped', {
      name: STEP.drop,
      input: ({ prepared, database }) => dropInput(run, prepared, database),
      run: (input) => dropStep(run, input),
      describe: detailIs,
    });
}
