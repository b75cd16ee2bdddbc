/**
 * `npm run build`: bundles each action (actions/<name>/action.yml) from src/entrypoints/<name>.ts (which runs the run() of src/actions/<name>.ts)
 * into actions/<name>/dist/index.js with @vercel/ncc. The bundles are committed: a runner
 * checks out the repository and runs them without installing anything. Then the command line,
 * every action in one file (scripts/build-cli.ts): `npm run build cli` builds only that.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildCli } from './build-cli.js';

const root = new URL('..', import.meta.url).pathname;
const names = process.argv.slice(2);
const actions = names.length ? names.filter((name) => name !== 'cli') : (await readdir(join(root, 'actions'))).sort();

for (const name of actions) {
  const metadata = join(root, 'actions', name, 'action.yml');
  if (!(await stat(metadata).catch(() => undefined))) continue;
  const out = join(root, 'actions', name, 'dist');
  await rm(out, { recursive: true, force: true });
  const started = Date.now();
  await execa(
    'npx',
    [
      'ncc',
      'build',
      join(root, 'src', 'entrypoints', `${name}.ts`),
      '--out',
      out,
      '--license',
      'licenses.txt',
      '--quiet',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  process.stdout.write(`built actions/${name}/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (!names.length || names.includes('cli')) await buildCli();
