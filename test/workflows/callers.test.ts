import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { codeBlocks } from '../docs/markdown.js';
import { jobsOf, parseWorkflow } from './workflow-rules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
type Map = Record<string, unknown>;
const map = (value: unknown) => (value && typeof value === 'object' ? value : {}) as Map;
const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };

const readWorkflow = (file: string) => parseWorkflow(readFileSync(join(ROOT, '.github', 'workflows', file), 'utf8'));

/** What a called workflow's jobs ask for, nested calls included: the caller must grant at least this. */
function permissionsNeeded(file: string): Record<string, string> {
  const needed: Record<string, string> = {};
  for (const job of jobsOf(readWorkflow(file))) {
    const asked = map(job.body.permissions);
    const nested =
      typeof job.body.uses === 'string' && job.body.uses.startsWith('./.github/workflows/')
        ? permissionsNeeded(job.body.uses.slice('./.github/workflows/'.length))
        : {};
    for (const [scope, level] of [...Object.entries(asked), ...Object.entries(nested)]) {
      if ((LEVEL[String(level)] ?? 0) > (LEVEL[needed[scope] ?? 'none'] ?? 0)) needed[scope] = String(level);
    }
  }
  return needed;
}

/** The caller examples of a document: each YAML block with a job that calls one of this repository's workflows. */
function callerExamples(document: string): { file: string; job: Map; workflow: Map }[] {
  return codeBlocks(readFileSync(join(ROOT, document), 'utf8'), 'yaml').flatMap((block) => {
    const workflow = map(parse(block));
    return Object.values(map(workflow.jobs)).flatMap((job) => {
      const file = /dr-actions\/\.github\/workflows\/([a-z-]+\.yml)@/.exec(String(map(job).uses ?? ''))?.[1];
      return file ? [{ file, job: map(job), workflow }] : [];
    });
  });
}

const guide = [...callerExamples('docs/adopting.md'), ...callerExamples('docs/recovery.md')];
const readme = callerExamples('README.md');
/** The callers that name a runner inside the VPC: held to the same rules, never the only caller of a workflow. */
const inTheVpc = callerExamples('docs/running-in-your-vpc.md');

test('the adoption guide (or, for the recovery workflows, docs/recovery.md) has a caller example for each reusable workflow', () => {
  const reusable = readdirSync(join(ROOT, '.github', 'workflows')).filter(
    (file) => file.endsWith('.yml') && 'workflow_call' in map(readWorkflow(file).on),
  );
  expect(reusable.length).toBeGreaterThanOrEqual(7);
  expect(guide.map((e) => e.file).sort()).toEqual(reusable.sort());
});

test("the README's caller is the adoption guide's, word for word", () => {
  expect(readme.length).toBeGreaterThan(0);
  for (const example of readme) expect(example).toEqual(guide.find((e) => e.file === example.file));
});

test('docs/running-in-your-vpc.md has callers that name a runner', () => {
  expect(inTheVpc.map((e) => e.file)).toEqual(['backup.yml', 'failover.yml']);
  for (const example of inTheVpc) expect(map(example.job.with)['database-runner']).toBeTruthy();
});

describe.each([...guide, ...inTheVpc].map((e) => [e.file, e] as const))(
  'the caller of %s in the adoption guide (or the VPC guide)',
  (file, { job, workflow }) => {
    const call = map(map(readWorkflow(file).on).workflow_call);

    test('grants every permission the called jobs ask for (GitHub refuses to start it otherwise)', () => {
      const granted = map(job.permissions ?? workflow.permissions);
      const short = Object.entries(permissionsNeeded(file)).filter(
        ([scope, level]) => (LEVEL[String(granted[scope] ?? 'none')] ?? 0) < (LEVEL[level] ?? 0),
      );
      expect(short).toEqual([]);
    });

    test('passes secrets by name, each one the workflow declares, never `inherit`', () => {
      expect(job.secrets).not.toBe('inherit');
      const declared = Object.keys(map(call.secrets));
      expect(Object.keys(map(job.secrets)).filter((name) => !declared.includes(name))).toEqual([]);
    });

    test('gives only inputs the workflow declares, and pins dr-actions by the same ref twice', () => {
      const declared = Object.keys(map(call.inputs));
      const given = map(job.with);
      expect(Object.keys(given).filter((name) => !declared.includes(name))).toEqual([]);
      expect(String(job.uses).split('@')[1]).toBe(given['actions-ref']);
    });
  },
);

test('the permission check finds a caller that grants too little', () => {
  expect(permissionsNeeded('dr-drill.yml')).toEqual({
    contents: 'write',
    'id-token': 'write',
    issues: 'write',
    'pull-requests': 'write',
  });
  expect(permissionsNeeded('restore-verify.yml')).toEqual({ contents: 'read', 'id-token': 'write', issues: 'write' });
});
