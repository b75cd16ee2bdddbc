import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { jobsOf, parseWorkflow, type Job } from './workflow-rules.js';

/** Releases a caller can pin and verify, and the audits and updates that keep the workflows and dependencies sound. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
type Map = Record<string, unknown>;
const map = (value: unknown) => (value && typeof value === 'object' ? value : {}) as Map;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const workflow = (name: string) => parseWorkflow(read(join('.github', 'workflows', name)));
const jobOf = (jobs: Job[], id: string) => jobs.find((j) => j.id === id) as Job;
const runs = (job: Job) => job.steps.map((s) => String(s.run ?? ''));
const usesOf = (job: Job) => job.steps.map((s) => String(s.uses ?? ''));
const version = (JSON.parse(read('package.json')) as { version: string }).version;

describe('release.yml', () => {
  const release = workflow('release.yml');
  const jobs = jobsOf(release);
  const build = jobOf(jobs, 'build');
  const publish = jobOf(jobs, 'publish');

  test('runs on a tag vX.Y.Z, or by hand on such a tag; one run per tag, never cancelled', () => {
    expect(map(release.on)).toEqual({ push: { tags: ['v*.*.*'] }, workflow_dispatch: null });
    expect(release.concurrency).toEqual({ group: 'release-${{ github.ref }}', 'cancel-in-progress': false });
    expect(runs(build).join('\n')).toContain('if [ "$REF_TYPE" != tag ]; then');
  });

  test('only publish can write, and only what the attestation and the release need', () => {
    expect(release.permissions).toEqual({});
    expect(jobs.map((j) => [j.id, j.body.permissions])).toEqual([
      ['build', { contents: 'read' }],
      ['publish', { contents: 'write', 'id-token': 'write', attestations: 'write' }],
    ]);
    expect(publish.body.needs).toBe('build');
  });

  test('build: the release check, then a clean install and build, compared with the committed bundles, before anything is uploaded', () => {
    const script = runs(build);
    const at = (text: string) => script.findIndex((run) => run.includes(text));
    const order = [
      'scripts/release-check.sh "$TAG"',
      'npm ci --no-audit --no-fund',
      'npm run build',
      'git status --porcelain -- actions dist',
      'npm run test:unit',
      'sha256sum -- *.js *.mjs > SHA256SUMS',
    ].map(at);
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(script.join('\n')).toContain('for bundle in actions/*/dist/index.js; do');
    expect(script.join('\n')).toContain('cp dist/cli/dr-actions.mjs "$assets/dr-actions.mjs"');
    expect(usesOf(build).at(-1)).toMatch(/^actions\/upload-artifact@/);
  });

  test('no cache anywhere: a release is built from the lockfile, never from what another run cached', () => {
    for (const job of jobs) {
      expect(usesOf(job).filter((uses) => uses.startsWith('actions/cache'))).toEqual([]);
      for (const step of job.steps.filter((s) => String(s.uses).startsWith('actions/setup-node@'))) {
        expect(map(step.with).cache).toBeUndefined();
        expect(map(step.with)['package-manager-cache']).toBe(false);
      }
    }
  });

  test('publish runs no code of the repository or its dependencies: it checks the sums, attests, and creates the release with every asset in one step', () => {
    expect(usesOf(publish).filter((uses) => uses.startsWith('actions/checkout@'))).toEqual([]);
    expect(runs(publish).join('\n')).not.toMatch(/\b(npm|npx|node)\b/);
    const attestAt = usesOf(publish).findIndex((uses) => uses.startsWith('actions/attest-build-provenance@'));
    const checkAt = runs(publish).findIndex((run) => run.includes('sha256sum --check --strict SHA256SUMS'));
    const createAt = runs(publish).findIndex((run) => run.includes('gh release create'));
    expect(checkAt).toBeGreaterThanOrEqual(0);
    expect([checkAt < attestAt, attestAt < createAt]).toEqual([true, true]);
    expect(publish.steps[attestAt]?.with).toEqual({ 'subject-checksums': 'release/assets/SHA256SUMS' });
    const create = runs(publish)[createAt] as string;
    for (const part of ['gh release create "$TAG" release/assets/*', '--verify-tag', '--notes-file release/notes.md'])
      expect(create).toContain(part);
    expect(runs(publish).filter((run) => run.includes('gh release'))).toHaveLength(1);
  });
});

describe('scripts/release-check.sh', () => {
  const check = (tag: string, root = ROOT) => {
    const result = spawnSync(join(ROOT, 'scripts', 'release-check.sh'), [tag, root], { encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  /** A copy of the files the check reads, with one of them changed. */
  function rootWith(change: (files: { changelog: string; version: string }) => Partial<Record<string, string>>) {
    const dir = mkdtempSync(join(tmpdir(), 'release-check-'));
    mkdirSync(join(dir, 'src'));
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    const files = { changelog: read('CHANGELOG.md'), version: read('src/version.ts') };
    const changed = change(files);
    writeFileSync(join(dir, 'CHANGELOG.md'), changed.changelog ?? files.changelog);
    writeFileSync(join(dir, 'src', 'version.ts'), changed.version ?? files.version);
    return dir;
  }

  test("package.json's version has a dated CHANGELOG entry: the check passes and prints the entry as the notes", () => {
    const result = check(`v${version}`);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(read('CHANGELOG.md')).toMatch(
      new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'),
    );
    expect(result.stdout).toContain('### Added');
    expect(result.stdout).not.toContain(`## [${version}]`);
    expect(result.stdout).not.toMatch(/^## /m);
  });

  test('a tag that is not vX.Y.Z, or not the version of package.json, is refused saying what to change', () => {
    expect(check(version)).toMatchObject({ status: 1, stdout: '' });
    expect(check(version).stderr).toContain(`::error::the tag '${version}' is not a release tag`);
    expect(check('v01.0.0').status).toBe(1);
    const other = check('v99.0.0');
    expect(other).toMatchObject({ status: 1, stdout: '' });
    expect(other.stderr).toContain(`package.json's version is ${version}, the tag says 99.0.0`);
  });

  test('a CHANGELOG without the entry, an undated or empty entry, or another version in src/version.ts is refused', () => {
    const cases: [Parameters<typeof rootWith>[0], string][] = [
      [({ changelog }) => ({ changelog: changelog.replace(`## [${version}]`, '## [0.0.1]') }), 'has no entry'],
      [({ changelog }) => ({ changelog: changelog.replace(/^(## \[[^\]]+\]) - .*$/m, '$1') }), 'has no entry'],
      [
        ({ changelog }) => ({
          changelog: changelog.replace(
            new RegExp(`(^## \\[${version.replace(/\./g, '\\.')}\\] - .*$)[\\s\\S]*`, 'm'),
            '$1\n\n',
          ),
        }),
        'is empty',
      ],
      [({ version: source }) => ({ version: source.replace(`'${version}'`, "'0.0.0'") }), 'src/version.ts'],
    ];
    for (const [change, message] of cases) {
      const dir = rootWith(change);
      try {
        const result = check(`v${version}`, dir);
        expect([message, result.status, result.stdout]).toEqual([message, 1, '']);
        expect(result.stderr).toContain(message);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('ci.yml audits', () => {
  const jobs = jobsOf(workflow('ci.yml'));

  test('zizmor audits the workflows with the official action, failing the job on a finding; it can only read', () => {
    const zizmor = jobOf(jobs, 'zizmor');
    expect(zizmor.body.permissions).toEqual({ contents: 'read' });
    const step = zizmor.steps.find((s) => String(s.uses).startsWith('zizmorcore/zizmor-action@'));
    expect(map(step?.with)['advanced-security']).toBe(false);
  });

  test('CodeQL analyses the TypeScript sources and the workflows; only its job may write security events', () => {
    const codeql = jobOf(jobs, 'codeql');
    expect(map(map(codeql.body.strategy).matrix).language).toEqual(['javascript-typescript', 'actions']);
    expect(
      usesOf(codeql)
        .filter((uses) => uses.startsWith('github/codeql-action/'))
        .map((u) => u.split('@')[0]),
    ).toEqual(['github/codeql-action/init', 'github/codeql-action/analyze']);
    const writers = jobs.filter((j) => 'security-events' in map(j.body.permissions)).map((j) => j.id);
    expect(writers).toEqual(['codeql']);
    expect(codeql.body.permissions).toEqual({ contents: 'read', 'security-events': 'write' });
  });
});

test('Dependabot proposes weekly updates of the npm packages (the AWS SDK as one group), the Node 24 runtime and the actions, each a week old', () => {
  const config = parse(read('.github/dependabot.yml')) as { version: number; updates: Map[] };
  expect(config.version).toBe(2);
  expect(config.updates.map((u) => [u['package-ecosystem'], u.directory, map(u.schedule).interval])).toEqual([
    ['npm', '/', 'weekly'],
    ['npm', '/tools/node24', 'weekly'],
    ['github-actions', '/', 'weekly'],
  ]);
  expect(map(map(config.updates[0]?.groups)['aws-sdk']).patterns).toEqual(['@aws-sdk/*']);
  for (const update of config.updates) expect(map(update.cooldown)['default-days']).toBe(7);
});
