import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { actionSources, root } from './sources.js';
const actions = readdirSync(join(root, 'actions')).filter((name) =>
  existsSync(join(root, 'actions', name, 'action.yml')),
);

interface ActionMetadata {
  name: string;
  description: string;
  inputs?: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

/** The first sections of every action README, in this order, after what the action does and guarantees. */
const README_ORDER = ['Example', 'Inputs', 'Outputs', 'Permissions', 'What it leaves on failure'];

/** Names in the first column of the README's tables that are written as `code`. */
function documented(readme: string, heading: string): string[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith(heading)) ?? '';
  return [...section.matchAll(/^\| `([a-z0-9-]+)`(?:, `([a-z0-9-]+)`)* \|/gm)].flatMap((m) =>
    [...m[0].matchAll(/`([a-z0-9-]+)`/g)].map((x) => x[1] as string),
  );
}

test('there are actions to check', () => {
  expect(actions).toEqual([
    'backup',
    'dr-audit',
    'drill-report',
    'failover',
    'rds-restore-test',
    'recover-database',
    'restore-verify',
  ]);
});

describe.each(actions)('actions/%s', (name) => {
  const metadata = parse(readFileSync(join(root, 'actions', name, 'action.yml'), 'utf8')) as ActionMetadata;
  const sources = actionSources(name);
  const readme = readFileSync(join(root, 'actions', name, 'README.md'), 'utf8');
  const inputs = Object.keys(metadata.inputs ?? {}).sort();
  const outputs = Object.keys(metadata.outputs ?? {}).sort();

  test('runs the committed bundle on node24', () => {
    expect(metadata.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(existsSync(join(root, 'actions', name, 'dist', 'index.js'))).toBe(true);
  });

  test('every input is described, and the code reads exactly the inputs action.yml declares', () => {
    for (const input of inputs) expect(metadata.inputs?.[input]?.description).toBeTruthy();
    const read = [
      ...new Set(
        [
          ...sources.matchAll(/\binput\('([a-z0-9-]+)'\)|maskDatabaseUrl\('([a-z0-9-]+)'\)|getInput\('([a-z0-9-]+)'/g),
        ].map((m) => m[1] ?? m[2] ?? m[3]),
      ),
    ].sort();
    expect(read).toEqual(inputs);
  });

  test('the code sets exactly the outputs action.yml declares', () => {
    const set = [...new Set(outputsSetIn(sources))].sort();
    expect(set).toEqual(outputs);
  });

  test('the README opens in the order every action README keeps: what it does, then an example, inputs, outputs, permissions, what it leaves on failure', () => {
    expect(readme.startsWith(`# ${name}`) || readme.startsWith(`# actions/${name}`)).toBe(true);
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map((m) =>
      (m[1] as string).replace(/^Example\b.*/, 'Example'),
    );
    expect(sections.slice(0, README_ORDER.length)).toEqual(README_ORDER);
  });

  test('the README documents every input and output, and nothing else', () => {
    expect([...new Set(documented(readme, 'Inputs'))].sort()).toEqual(inputs);
    expect([...new Set(documented(readme, 'Outputs'))].sort()).toEqual(outputs);
  });
});

/** The output names the code sets: each setOutput('name', ...) and each key of a setOutputs({ ... }) literal. */
function outputsSetIn(sources: string): string[] {
  const single = [...sources.matchAll(/setOutput\('([a-z0-9-]+)'/g)].map((m) => m[1] as string);
  const literals = [...sources.matchAll(/setOutputs\(\{([^}]*)\}\)/g)].map((m) => m[1] as string);
  const keys = literals.flatMap((body) =>
    [...body.matchAll(/(?:^|[{,\s])'?([a-z0-9-]+)'?:/g)].map((m) => m[1] as string),
  );
  return [...single, ...keys];
}
