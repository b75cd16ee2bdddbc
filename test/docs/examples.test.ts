import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { codeBlocks, documents } from './markdown.js';
import { root } from './sources.js';

type Inputs = Record<string, { required?: boolean; default?: string }>;
interface ActionStep {
  action: string;
  with: Record<string, unknown>;
}

/** Every step, anywhere in a parsed YAML example, that uses one of this repository's actions. */
function actionSteps(value: unknown): ActionStep[] {
  if (Array.isArray(value)) return value.flatMap(actionSteps);
  if (!value || typeof value !== 'object') return [];
  const node = value as Record<string, unknown>;
  const action =
    typeof node.uses === 'string'
      ? /(?:dr-actions\/|^\.\/)actions\/([a-z0-9-]+)(?:@|$)/.exec(node.uses)?.[1]
      : undefined;
  const own = action ? [{ action, with: (node.with ?? {}) as Record<string, unknown> }] : [];
  return [...own, ...Object.values(node).flatMap(actionSteps)];
}

const inputsOf = (action: string) =>
  (parse(readFileSync(join(root, 'actions', action, 'action.yml'), 'utf8')) as { inputs?: Inputs }).inputs ?? {};

/** What is wrong with a step: an action that does not exist, an input it does not declare, a required input left out. */
function mistakes(step: ActionStep): string[] {
  if (!existsSync(join(root, 'actions', step.action, 'action.yml'))) return [`actions/${step.action} does not exist`];
  const inputs = inputsOf(step.action);
  const unknown = Object.keys(step.with)
    .filter((name) => !(name in inputs))
    .map((name) => `${step.action}: no input '${name}'`);
  const missing = Object.entries(inputs)
    .filter(([name, input]) => input.required === true && input.default === undefined && !(name in step.with))
    .map(([name]) => `${step.action}: required input '${name}' missing`);
  return [...unknown, ...missing];
}

describe.each(documents())('the YAML examples of %s', (file) => {
  const blocks = codeBlocks(readFileSync(join(root, file), 'utf8'), 'yaml');

  test('each one parses', () => {
    for (const block of blocks) expect(() => parse(block)).not.toThrow();
  });

  test('each step that uses an action gives only inputs the action declares, and every one it requires', () => {
    expect(blocks.flatMap((block) => actionSteps(parse(block))).flatMap(mistakes)).toEqual([]);
  });
});

const VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Each line of a YAML example that uses dr-actions (an action or a reusable workflow) without a release's commit and version. */
function unpinned(block: string): string[] {
  const placeholderOrSha = '(?:<release commit sha>|[0-9a-f]{40})';
  const pinned = new RegExp(
    `^\\s*(?:- )?uses: <org>/dr-actions/\\S+@${placeholderOrSha} # v${VERSION.replace(/\./g, '\\.')}$`,
  );
  return block
    .split('\n')
    .filter((line) => /uses:\s*\S*dr-actions\//.test(line) && !pinned.test(line))
    .map((line) => line.trim());
}

describe.each(documents())('the dr-actions pins of %s', (file) => {
  test(`name a release's commit and its version (# v${VERSION}, package.json's)`, () => {
    expect(codeBlocks(readFileSync(join(root, file), 'utf8'), 'yaml').flatMap(unpinned)).toEqual([]);
  });
});

test('the pin check finds what it is for: a tag, a branch, a commit without its version, another version', () => {
  const block = [
    `- uses: <org>/dr-actions/actions/backup@<release commit sha> # v${VERSION}`,
    `  uses: <org>/dr-actions/.github/workflows/backup.yml@${'a'.repeat(40)} # v${VERSION}`,
    '- uses: <org>/dr-actions/actions/backup@v1',
    '- uses: <org>/dr-actions/actions/backup@main',
    `- uses: <org>/dr-actions/actions/backup@${'a'.repeat(40)}`,
    '- uses: <org>/dr-actions/actions/backup@<release commit sha> # v0.0.1',
    '- uses: actions/checkout@v4',
  ].join('\n');
  expect(unpinned(block)).toEqual([
    '- uses: <org>/dr-actions/actions/backup@v1',
    '- uses: <org>/dr-actions/actions/backup@main',
    `- uses: <org>/dr-actions/actions/backup@${'a'.repeat(40)}`,
    '- uses: <org>/dr-actions/actions/backup@<release commit sha> # v0.0.1',
  ]);
});

test('every action README has an example that uses its action', () => {
  const without = documents()
    .filter((file) => file.startsWith('actions/'))
    .filter((file) => {
      const action = file.split('/')[1] as string;
      return !codeBlocks(readFileSync(join(root, file), 'utf8'), 'yaml').some((block) =>
        actionSteps(parse(block)).some((step) => step.action === action),
      );
    });
  expect(without).toEqual([]);
});

test('the example check finds what it is for (so its passing means something)', () => {
  const example = parse(`
jobs:
  restore:
    steps:
      - uses: <org>/dr-actions/actions/restore-verify@v1
        with: { bucket: saas-backups, target-database-url: postgres://localhost/db, bukcet: typo }
      - uses: ./actions/backup
        with: { bucket: saas-backups }
      - uses: <org>/dr-actions/actions/no-such-action@v1
      - uses: actions/checkout@v4
`);
  const steps = actionSteps(example);
  expect(steps.map((step) => step.action)).toEqual(['restore-verify', 'backup', 'no-such-action']);
  expect(steps.flatMap(mistakes)).toEqual([
    "restore-verify: no input 'bukcet'",
    "backup: required input 'database-url' missing",
    'actions/no-such-action does not exist',
  ]);
});
