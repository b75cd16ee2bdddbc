/**
 * Bundles the command line (`dr-actions <action> --<input> <value>`) into one file,
 * dist/cli/dr-actions.mjs, that runs with nothing beside it: every action found under
 * actions/*\/action.yml, with its inputs, defaults and descriptions read here, at build time.
 * An entry module naming each action's run() is written for ncc and removed afterwards.
 */
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import type { CliAction } from '../src/cli/catalog.js';

interface ActionYaml {
  description?: string;
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  outputs?: Record<string, { description?: string }>;
}

const root = new URL('..', import.meta.url).pathname;
export const CLI_BUNDLE = join(root, 'dist', 'cli', 'dr-actions.mjs');
const ENTRY = join(root, 'src', 'cli', 'bundle-entry.generated.ts');

/** The catalog of one action, as the CLI shows and applies it (its run() is attached in the entry). */
async function describeAction(name: string): Promise<Omit<CliAction, 'run'>> {
  const metadata = parse(await readFile(join(root, 'actions', name, 'action.yml'), 'utf8')) as ActionYaml;
  return {
    name,
    description: metadata.description ?? '',
    inputs: Object.entries(metadata.inputs ?? {}).map(([input, spec]) => ({
      name: input,
      description: spec.description ?? '',
      required: spec.required === true,
      ...(spec.default === undefined || spec.default === null ? {} : { default: String(spec.default) }),
    })),
    outputs: Object.entries(metadata.outputs ?? {}).map(([output, spec]) => ({
      name: output,
      description: spec.description ?? '',
    })),
  };
}

/** Every folder of actions/ with an action.yml, in name order. */
export async function actionNames(): Promise<string[]> {
  const names = (await readdir(join(root, 'actions'))).sort();
  const present = await Promise.all(
    names.map((name) =>
      stat(join(root, 'actions', name, 'action.yml')).then(
        () => true,
        () => false,
      ),
    ),
  );
  return names.filter((_, i) => present[i]);
}

function entrySource(version: string, actions: Omit<CliAction, 'run'>[]): string {
  const imports = actions.map((action, i) => `import { run as run${i} } from '../actions/${action.name}.js';`);
  const catalog = actions.map((action, i) => `    { ...${JSON.stringify(action)}, run: run${i} },`);
  return [
    '// Written by scripts/build-cli.ts for the bundle, from actions/*/action.yml; removed after the build.',
    "import { start } from './main.js';",
    ...imports,
    '',
    `await start({\n  version: ${JSON.stringify(version)},\n  actions: [\n${catalog.join('\n')}\n  ],\n});`,
    '',
  ].join('\n');
}

export async function buildCli(): Promise<void> {
  const started = Date.now();
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const actions = await Promise.all((await actionNames()).map(describeAction));
  const out = join(root, 'dist', 'cli');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await writeFile(ENTRY, entrySource(version, actions));
  try {
    await execa('npx', ['ncc', 'build', ENTRY, '--out', out, '--license', 'licenses.txt', '--quiet'], {
      cwd: root,
      stdio: 'inherit',
    });
  } finally {
    await rm(ENTRY, { force: true });
  }
  // .mjs: the file is ESM and must run as one wherever it is copied, with no package.json beside it.
  const bundle = await readFile(join(out, 'index.js'), 'utf8');
  await writeFile(CLI_BUNDLE, bundle.startsWith('#!') ? bundle : `#!/usr/bin/env node\n${bundle}`);
  await chmod(CLI_BUNDLE, 0o755);
  await rm(join(out, 'index.js'));
  await rm(join(out, 'package.json'), { force: true });
  const left = (await readdir(out)).filter((file) => file !== 'dr-actions.mjs' && file !== 'licenses.txt');
  if (left.length) throw new Error(`the CLI bundle is not one file: ncc also wrote ${left.join(', ')}`);
  process.stdout.write(
    `built dist/cli/dr-actions.mjs (${actions.map((action) => action.name).join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
