/**
 * The backup workflow's step that stores the command line and the runbook beside the backups,
 * run as the runner runs it (its `run:` with bash, its `env:` given values, the job's AWS
 * credentials) against moto, with the aws CLI that GitHub's runners have.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { COPY_REGION, createRegionalBucket, s3In } from '../../harness/second-region.js';
import { TEST_REGION } from '../helpers/s3.js';
import { stackFromEnv } from '../../harness/stack.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { jobsOf, parseWorkflow } from '../workflows/workflow-rules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STEP = 'Store the break-glass tool beside the backups';

/** The step's `run:` and the names of its `env:`; it must come after the backup in the same job. */
async function storeStep(): Promise<{ run: string; env: string[] }> {
  const workflow = parseWorkflow(await readFile(join(ROOT, '.github', 'workflows', 'backup.yml'), 'utf8'));
  const steps = jobsOf(workflow).find((job) => job.id === 'backup')?.steps ?? [];
  const at = steps.findIndex((step) => step.name === STEP);
  expect(at).toBeGreaterThan(steps.findIndex((step) => step.name === 'Back up'));
  const step = steps[at] as { run: string; env: Record<string, string> };
  return { run: step.run, env: Object.keys(step.env) };
}

interface Settings {
  DR_ACTIONS_DIR: string;
  BUCKET: string;
  REGION: string;
  PREFIX: string;
  COPY_BUCKET?: string;
  COPY_REGION?: string;
  COPY_MODE?: string;
}

/** `shell` replaces PATH and HOME (a HOME whose shell profile adds to PATH would bring back what PATH leaves out). */
async function runStep(
  settings: Settings,
  shell = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
): Promise<{ exitCode: number; output: string }> {
  const { run, env: declared } = await storeStep();
  const given: Record<string, string> = { ENDPOINT_URL: stackFromEnv().awsEndpoint, ...settings };
  expect(Object.keys(given).filter((name) => !declared.includes(name))).toEqual([]);
  const stepEnv = Object.fromEntries(declared.map((name) => [name, given[name] ?? '']));
  const result = await execa('bash', ['-e', '-c', run], {
    env: {
      ...shell,
      AWS_PAGER: '',
      ...MOTO_CREDENTIALS,
      ...stepEnv,
    },
    extendEnv: false,
    cwd: ROOT,
    reject: false,
    all: true,
  });
  return { exitCode: result.exitCode ?? 1, output: result.all ?? '' };
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function objectText(region: string, bucket: string, key: string): Promise<string> {
  const object = await s3In(region).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

async function versions(region: string, bucket: string): Promise<string[]> {
  const listed = await s3In(region).send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (listed.Versions ?? []).map((version) => `${version.Key}@${version.VersionId}`).sort();
}

describe('the backup workflow stores the break-glass tool beside the backups', () => {
  let version: string;
  let bundleSha: string;
  let checkout: string;

  beforeAll(async () => {
    version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    bundleSha = sha256(await readFile(join(ROOT, 'dist', 'cli', 'dr-actions.mjs')));
    // A checkout whose bundle differs from this one's, as a later build of the same version would.
    checkout = await mkdtemp(join(tmpdir(), 'dr-checkout-'));
    await mkdir(join(checkout, 'dist', 'cli'), { recursive: true });
    await mkdir(join(checkout, 'docs'));
    await mkdir(join(checkout, 'scripts'));
    await cp(
      join(ROOT, 'scripts', 'store-break-glass-tool.sh'),
      join(checkout, 'scripts', 'store-break-glass-tool.sh'),
    );
    await cp(join(ROOT, 'package.json'), join(checkout, 'package.json'));
    await cp(join(ROOT, 'docs', 'break-glass.md'), join(checkout, 'docs', 'break-glass.md'));
    await writeFile(
      join(checkout, 'dist', 'cli', 'dr-actions.mjs'),
      '#!/usr/bin/env node\nconsole.log("a later build");\n',
    );
  });
  afterAll(() => rm(checkout, { recursive: true, force: true }));

  test('the bundle, its SHA-256 (sha256sum -c format) and the runbook, in the bucket and its copy; the same bundle again writes nothing', async () => {
    const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'tools', versioned: true });
    const copy = await createRegionalBucket(COPY_REGION, { prefix: 'tools-copy', versioned: true });
    const settings = {
      DR_ACTIONS_DIR: ROOT,
      BUCKET: bucket,
      REGION: TEST_REGION,
      PREFIX: 'orders/',
      COPY_BUCKET: copy,
      COPY_REGION,
      COPY_MODE: '',
    };
    const first = await runStep(settings);
    expect(first.output).toContain(
      `stored s3://${bucket}/orders/tools/dr-actions-${version}.mjs (sha256 ${bundleSha})`,
    );
    expect(first.exitCode).toBe(0);

    for (const [region, name] of [
      [TEST_REGION, bucket],
      [COPY_REGION, copy],
    ] as const) {
      const stored = await s3In(region).send(
        new GetObjectCommand({ Bucket: name, Key: `orders/tools/dr-actions-${version}.mjs` }),
      );
      expect(sha256(Buffer.from((await stored.Body?.transformToByteArray()) ?? []))).toBe(bundleSha);
      expect(await objectText(region, name, `orders/tools/dr-actions-${version}.mjs.sha256`)).toBe(
        `${bundleSha}  dr-actions-${version}.mjs\n`,
      );
      expect(await objectText(region, name, 'orders/tools/break-glass.md')).toBe(
        await readFile(join(ROOT, 'docs', 'break-glass.md'), 'utf8'),
      );
    }

    const before = await versions(TEST_REGION, bucket);
    const again = await runStep(settings);
    expect(again.exitCode).toBe(0);
    expect(again.output).toContain(
      `s3://${bucket}/orders/tools/dr-actions-${version}.mjs is already this bundle (sha256 ${bundleSha})`,
    );
    expect(await versions(TEST_REGION, bucket)).toEqual(before);

    // Another build of the same version replaces it; the versioned bucket keeps the earlier one.
    const later = await runStep({ ...settings, DR_ACTIONS_DIR: checkout });
    expect(later.exitCode).toBe(0);
    const laterSha = sha256(await readFile(join(checkout, 'dist', 'cli', 'dr-actions.mjs')));
    expect(await objectText(TEST_REGION, bucket, `orders/tools/dr-actions-${version}.mjs.sha256`)).toBe(
      `${laterSha}  dr-actions-${version}.mjs\n`,
    );
    expect((await versions(TEST_REGION, bucket)).length).toBe(before.length + 3);
  });

  test('with S3 replication (copy-mode replication) nothing is written to the copy bucket, which S3 fills', async () => {
    const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'tools' });
    const copy = await createRegionalBucket(COPY_REGION, { prefix: 'tools-copy', versioned: true });
    const run = await runStep({
      DR_ACTIONS_DIR: ROOT,
      BUCKET: bucket,
      REGION: TEST_REGION,
      PREFIX: 'database/',
      COPY_BUCKET: copy,
      COPY_REGION,
      COPY_MODE: 'replication',
    });
    expect(run.exitCode).toBe(0);
    expect(run.output.match(/^stored /gm)).toHaveLength(1);
    expect(await versions(COPY_REGION, copy)).toEqual([]);
  });

  test('a checkout of dr-actions from before the command line: a warning, and the job goes on', async () => {
    const old = await mkdtemp(join(tmpdir(), 'dr-old-checkout-'));
    try {
      const run = await runStep({
        DR_ACTIONS_DIR: old,
        BUCKET: 'never-written',
        REGION: TEST_REGION,
        PREFIX: 'database/',
      });
      expect(run.exitCode).toBe(0);
      expect(run.output).toContain('::warning::this dr-actions checkout has no break-glass tool to store');
    } finally {
      await rm(old, { recursive: true, force: true });
    }
  });

  test('a runner without the AWS CLI: the step fails saying what to add to its image, and writes nothing', async () => {
    const bucket = await createRegionalBucket(TEST_REGION, { prefix: 'no-aws', versioned: true });
    const bin = await mkdtemp(join(tmpdir(), 'dr-no-aws-'));
    try {
      for (const command of ['bash', 'jq', 'sha256sum', 'cut']) {
        const { stdout } = await execa('bash', ['-c', `command -v ${command}`]);
        await symlink(stdout.trim(), join(bin, command));
      }
      const run = await runStep(
        { DR_ACTIONS_DIR: ROOT, BUCKET: bucket, REGION: TEST_REGION, PREFIX: 'database/' },
        { PATH: bin, HOME: bin },
      );
      expect(run.exitCode).toBe(1);
      expect(run.output).toContain(
        '::error::aws is not on this runner, so the break-glass tool was not stored beside the backups (the backup itself is stored)',
      );
      expect(await versions(TEST_REGION, bucket)).toEqual([]);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  test('a bucket it may not write to fails the step, naming the bucket', async () => {
    const run = await runStep({
      DR_ACTIONS_DIR: ROOT,
      BUCKET: 'no-such-bucket-for-tools',
      REGION: TEST_REGION,
      PREFIX: 'database/',
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('no-such-bucket-for-tools');
  });
});
