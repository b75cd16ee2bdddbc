import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run lint:workflows`, the step `npm run lint` and CI run. */
function lintWorkflows(...files: string[]) {
  return execa('npm', ['run', '--silent', 'lint:workflows', '--', ...files], {
    cwd: ROOT,
    reject: false,
    timeout: 120_000,
  });
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-lint-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run lint:workflows', () => {
  test("passes on this repository's workflows and action metadata", async () => {
    const run = await lintWorkflows();
    expect(run.stdout).toMatch(
      new RegExp(
        `^no problems in ${readdirSync(join(ROOT, '.github', 'workflows')).length} workflow\\(s\\) and \\d+ action metadata file\\(s\\)$`,
        'm',
      ),
    );
    expect(run.exitCode).toBe(0);
  });

  test('fails on broken files, and each linter finds what it is there for', async () => {
    // actionlint: an untrusted value expanded inside a script, a job that needs a job that does not exist.
    const workflow = join(dir, 'broken.yml');
    await writeFile(
      workflow,
      [
        'on: push',
        'permissions: {}',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-24.04',
        '    needs: [setup]',
        '    steps:',
        '      - run: echo "${{ github.event.head_commit.message }}"',
        '',
      ].join('\n'),
    );
    // action-validator: a dispatch input without the description the schema requires (actionlint accepts it).
    const schemaOnly = join(dir, 'schema.yml');
    await writeFile(
      schemaOnly,
      [
        'on:',
        '  workflow_dispatch:',
        '    inputs:',
        '      mode:',
        '        type: string',
        'permissions: {}',
        'jobs:',
        '  a:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - run: "true"',
        '',
      ].join('\n'),
    );
    // action-validator on action metadata: runs without main.
    await mkdir(join(dir, 'broken-action'));
    const action = join(dir, 'broken-action', 'action.yml');
    await writeFile(action, ['name: broken', 'description: d', 'runs:', "  using: 'node24'", ''].join('\n'));

    const run = await lintWorkflows(workflow, schemaOnly, action);
    expect(run.exitCode).toBe(1);
    const lines = run.stdout.split('\n');
    const about = (file: string, tool: string) => lines.filter((l) => l.includes(file) && l.endsWith(`(${tool})`));
    expect(about('broken.yml', 'actionlint').join('\n')).toMatch(
      /"github\.event\.head_commit\.message" is potentially untrusted/,
    );
    expect(about('broken.yml', 'actionlint').join('\n')).toMatch(/job "build" needs job "setup" which does not exist/);
    expect(about('schema.yml', 'actionlint')).toEqual([]);
    expect(run.stdout).toMatch(
      /schema\.yml: \/on: OneOf conditions are not met[\s\S]*\/on\/workflow_dispatch\/inputs\/mode\/description: This property is required/,
    );
    expect(run.stdout).toMatch(
      /broken-action\/action\.yml: \/runs: OneOf conditions are not met[\s\S]*\/runs\/main: This property is required/,
    );
    expect(run.stdout).toMatch(/^\d+ problem\(s\) in 2 workflow\(s\) and 1 action metadata file\(s\)$/m);
  });
});
