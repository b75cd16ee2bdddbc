import { maskCommand } from '../helpers/workflow-commands.js';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { createDatabase, dropDatabase } from '../helpers/postgres.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { createBucket } from '../helpers/s3.js';
import { runBundledAction, type BundledActionRun } from '../../harness/bundled-action.js';
import { IAM_PROXY_REGION, startStackIamProxy, type IamAuthProxy } from '../../harness/iam-auth-proxy.js';
import { verifyRdsToken } from '../../harness/rds-token-verifier.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * The bundled actions with `database-auth: iam` against the stack's stand-in for RDS IAM
 * authentication (harness/iam-auth-proxy.ts): they sign in with tokens that verify as RDS verifies
 * them, a fresh one per client process, over TLS, and no token is in a process's argv, the step's
 * log (but for the runner's own mask command) or its summary. Wrappers first on PATH record each
 * client's argv and PGPASSWORD, then become the real tool.
 */

const TOOLS = ['pg_dump', 'pg_dumpall', 'psql', 'pg_restore'];
const credentials = {
  accessKeyId: MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};
let proxy: IamAuthProxy;
let source: { name: string; url: string };
let dir: string;
let wrappers: string;
let captured: string;

async function writeWrappers(): Promise<void> {
  const { stdout: bindir } = await execa('pg_config', ['--bindir']);
  for (const tool of TOOLS) {
    const path = join(wrappers, tool);
    const record = `f="${captured}/${tool}.$$"; printf '%s\\0' "$@" > "$f.argv"; printf '%s' "$PGPASSWORD" > "$f.password"`;
    await writeFile(path, `#!/bin/sh\n${record}\nexec "${bindir.trim()}/${tool}" "$@"\n`);
    await chmod(path, 0o755);
  }
}

beforeAll(async () => {
  source = await createDatabase('iam_source');
  await loadSampleData(source.url, 2_000);
  proxy = await startStackIamProxy(stackFromEnv().postgres, credentials);
  dir = await mkdtemp(join(tmpdir(), 'dr-iam-auth-'));
  wrappers = join(dir, 'bin');
  captured = join(dir, 'captured');
  await Promise.all([mkdir(wrappers), mkdir(captured)]);
  await writeWrappers();
});

afterAll(async () => {
  await proxy?.stop();
  if (source) await dropDatabase(source.name);
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Child {
  tool: string;
  argv: string[];
  password: string;
}

/** The clients that connected since the last call (not --version, not pg_restore --list), and forgets them. */
async function takeChildren(): Promise<Child[]> {
  const files = (await readdir(captured)).filter((file) => file.endsWith('.argv')).sort();
  const children = await Promise.all(
    files.map(async (file) => {
      const base = join(captured, file.replace(/\.argv$/, ''));
      return {
        tool: file.split('.')[0] as string,
        argv: (await readFile(`${base}.argv`, 'utf8')).split('\0').filter(Boolean),
        password: await readFile(`${base}.password`, 'utf8'),
      };
    }),
  );
  for (const file of await readdir(captured)) await rm(join(captured, file));
  return children.filter((child) => child.argv.some((arg) => arg.startsWith('--dbname=')));
}

const iamUrl = (database: string) => `postgres://postgres@127.0.0.1:${proxy.port}/${database}`;

const runAction = (name: string, inputs: Record<string, string>) =>
  runBundledAction(
    name,
    { 'endpoint-url': stackFromEnv().awsEndpoint, region: 'us-east-1', 'database-auth': 'iam', ...inputs },
    { env: { PATH: `${wrappers}:${process.env.PATH ?? ''}`, GITHUB_REPOSITORY: 'acme/saas', GITHUB_RUN_ID: '25' } },
  );

/**
 * Each client signed in with a token of its own that the proxy accepted; no token is in any argv,
 * in the log but the runner's mask command for it, or in the summary.
 */
function expectTokensPerClient(
  result: BundledActionRun,
  children: Child[],
  acceptedBefore: number,
  commands: Child[] = [],
): void {
  const tokens = children.map((child) => child.password);
  expect(tokens.length).toBeGreaterThan(0);
  for (const token of tokens) expect(token).toMatch(/^127\.0\.0\.1:\d+\/\?Action=connect&DBUser=postgres&X-Amz-/);
  const accepted = proxy.passwords.filter((_, i) => proxy.outcomes[i] === 'accepted').slice(acceptedBefore);
  for (const token of tokens) expect(accepted).toContain(token);
  expect(proxy.outcomes.slice(acceptedBefore).filter((outcome) => outcome !== 'accepted')).toEqual([]);
  for (const child of children) {
    for (const token of tokens) expect(child.argv.join(' ')).not.toContain(token.slice(-64));
  }
  // One token made (and masked) per client; two made in the same second are the same bytes, as SigV4 is.
  const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::127.0.0.1:'));
  const made = [...tokens, ...commands.map((command) => command.password)];
  expect(masks.length).toBe(made.length);
  // The runner reads a workflow command's % escaped as %25.
  for (const token of made) expect(masks).toContain(maskCommand(token));
  const shown = result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  for (const token of made) {
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(token)?.[1] as string;
    expect(shown).not.toContain(signature);
    expect(result.summary).not.toContain(signature);
  }
}

let backupBucket: string | undefined;

test('backup signs in with a fresh IAM token per client, over TLS, that verifies as RDS would', async () => {
  const bucket = await createBucket('iam');
  backupBucket = bucket;
  await takeChildren();
  const before = proxy.outcomes.length;
  const result = await runAction('backup', { 'database-url': iamUrl(source.name), bucket });
  expect(result.stdout).not.toContain('::error::');
  expect([result.exitCode, result.stderr]).toEqual([0, '']);
  expect(Number(result.outputs.tables)).toBe(5);
  const children = await takeChildren();
  expect([...new Set(children.map((child) => child.tool))].sort()).toEqual(['pg_dump', 'pg_dumpall', 'psql']);
  // TLS by default: libpq was told to require it, and the proxy refuses a token in plaintext.
  for (const child of children) expect(child.argv.join(' ')).toContain('sslmode=require');
  expectTokensPerClient(result, children, before);
});

test('backup with database-auth iam and a password in the URL fails before any connection or S3 call', async () => {
  const bucket = await createBucket('iam');
  const before = proxy.outcomes.length;
  const result = await runAction('backup', {
    'database-url': `postgres://postgres:Stored-Pw1@127.0.0.1:${proxy.port}/${source.name}`,
    bucket,
  });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain('::error::database-url holds a password, but database-auth is iam');
  expect(result.stdout.split('\n').filter((l) => l.includes('Stored-Pw1') && !l.startsWith('::add-mask::'))).toEqual(
    [],
  );
  expect(proxy.outcomes.length).toBe(before);
  expect(await takeChildren()).toEqual([]);
});

test('restore-verify into an IAM target: every client and the smoke command get their own token, none shown', async () => {
  expect(backupBucket).toBeDefined();
  await takeChildren();
  const before = proxy.outcomes.length;
  const smokeFile = join(dir, 'smoke.env');
  const reportPath = join(dir, 'restore-report.json');
  const result = await runAction('restore-verify', {
    bucket: backupBucket as string,
    'target-database-url': iamUrl(`iam_restored_${process.pid}`),
    'smoke-command': `sh -c 'printf "%s\\n%s" "$PGPASSWORD" "$DATABASE_URL" > ${smokeFile}'`,
    'report-path': reportPath,
    'rpo-seconds': '86400',
  });
  expect(result.stdout).not.toContain('::error::');
  expect([result.exitCode, result.stderr, result.outputs.passed]).toEqual([0, '', 'true']);
  const children = await takeChildren();
  expect([...new Set(children.map((child) => child.tool))].sort()).toEqual(['pg_restore', 'psql']);
  const [smokeToken, smokeUrl] = (await readFile(smokeFile, 'utf8')).split('\n') as [string, string];
  // The smoke command gets a token of its own (made and masked for it: the mask count below); DATABASE_URL,
  // which commands pass in argv, holds none.
  const endpoint = `127.0.0.1:${proxy.port}`;
  expect(
    verifyRdsToken(smokeToken, { endpoint, user: 'postgres', region: IAM_PROXY_REGION, credentials, now: new Date() }),
  ).toEqual({ valid: true });
  expect(smokeUrl).toBe(`${iamUrl(`iam_restored_${process.pid}`)}?sslmode=require`);
  const smoke = { tool: 'smoke', argv: [], password: smokeToken };
  expectTokensPerClient(result, children, before, [smoke]);
  const report = await readFile(reportPath, 'utf8');
  for (const token of [...children.map((child) => child.password), smokeToken])
    expect(report).not.toContain(/X-Amz-Signature=([0-9a-f]+)/.exec(token)?.[1] as string);
});
