/**
 * `npm test`: starts the test stack (PostgreSQL, moto_server), runs jest against it, and stops
 * the stack afterwards, also when tests fail or the run is interrupted. Arguments go to jest.
 * With DR_TEST_STACK already set (from `npm run stack`), that stack is used and left running.
 * jest runs on Node 24, the runtime of `using: node24` actions, when tools/node24 is installed
 * (npm ci); else on the Node that runs this script. `--coverage` writes coverage/ and holds
 * the suite to jest.config.js's coverageThreshold.
 *
 * `--lane unit|integration|slow` runs one lane of harness/lanes.ts (`npm run test:unit` ...);
 * the unit lane starts no stack. A path given with a lane narrows it to the lane's tests there.
 * Ends with the totals on a line of their own: `N passed, N failed`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { LANE_NAMES, laneFiles, needsStack, type Lane } from '../harness/lanes.js';
import { startStack, STACK_ENV, type Stack } from '../harness/stack.js';
import { MOTO_CREDENTIALS } from '../harness/moto.js';
import { node24IfInstalled } from '../harness/node24.js';

interface JestTotals {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
// jest's package exports hide its bin; resolve it next to the package manifest.
const jestBin = join(dirname(require.resolve('jest/package.json')), 'bin', 'jest.js');

/** The lane asked for (`--lane X` or `--lane=X`), and the arguments that are jest's. */
function parseLane(args: string[]): { lane?: Lane; jestArgs: string[] } {
  const at = args.findIndex((arg) => arg === '--lane' || arg.startsWith('--lane='));
  if (at === -1) return { jestArgs: args };
  const inline = (args[at] as string).startsWith('--lane=');
  const value = inline ? (args[at] as string).slice('--lane='.length) : args[at + 1];
  const lane = LANE_NAMES.find((name) => name === value);
  if (!lane) {
    process.stdout.write(
      `--lane must be one of ${LANE_NAMES.join(', ')}, not ${value ?? 'nothing'}\n0 passed, 1 failed\n`,
    );
    process.exit(2);
  }
  return { lane, jestArgs: args.filter((_, i) => i !== at && (inline || i !== at + 1)) };
}

/**
 * jest's arguments for a lane: its test files by path, narrowed to those under any path given,
 * and the other arguments as they came. Exits when no test is left, which jest would read as all.
 */
function laneArgs(lane: Lane, args: string[]): string[] {
  const paths = args
    .filter((arg) => !arg.startsWith('-') && existsSync(arg))
    .map((arg) => relative(root, resolve(arg)).split('\\').join('/'));
  const under = (file: string) =>
    paths.length === 0 || paths.some((path) => file === path || file.startsWith(`${path.replace(/\/$/, '')}/`));
  const files = laneFiles(root, lane).filter(under);
  if (files.length === 0) {
    process.stdout.write(`no ${lane} test under ${paths.join(', ')}\n0 passed, 1 failed\n`);
    process.exit(1);
  }
  return ['--runTestsByPath', ...args.filter((arg) => !paths.includes(arg)), ...files.map((file) => join(root, file))];
}

const { lane, jestArgs } = parseLane(process.argv.slice(2));

let stack: Stack | undefined;
const stopAndExit = async (code: number) => {
  await stack?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stopAndExit(130));
process.on('SIGTERM', () => void stopAndExit(143));

const reuse = Boolean(process.env[STACK_ENV]);
if (!reuse && (!lane || needsStack(lane))) {
  process.stdout.write('Starting the test stack (PostgreSQL, moto_server)...\n');
  stack = await startStack();
  process.stdout.write(
    `PostgreSQL ${stack.postgres.version} on 127.0.0.1:${stack.postgres.port}, moto_server on ${stack.awsEndpoint}\n`,
  );
}

const node = node24IfInstalled() ?? process.execPath;

const resultsDir = await mkdtemp(join(tmpdir(), 'dr-actions-jest-'));
const resultsFile = join(resultsDir, 'results.json');
let exitCode = 1;
try {
  const { stdout: nodeVersion } = await execa(node, ['--version']);
  process.stdout.write(`jest on Node ${nodeVersion.replace(/^v/, '')}${lane ? `, the ${lane} lane` : ''}\n`);
  const args = lane ? laneArgs(lane, jestArgs) : jestArgs;
  const run = await execa(
    node,
    ['--experimental-vm-modules', '--no-warnings', jestBin, '--json', '--outputFile', resultsFile, ...args],
    {
      stdio: 'inherit',
      reject: false,
      env: { ...MOTO_CREDENTIALS, ...stack?.env },
    },
  );
  exitCode = run.exitCode ?? 1;
  const totals = JSON.parse(await readFile(resultsFile, 'utf8')) as JestTotals;
  const failed = totals.numFailedTests + totals.numRuntimeErrorTestSuites;
  process.stdout.write(`${totals.numPassedTests} passed, ${failed} failed\n`);
  if (failed > 0) exitCode = exitCode || 1;
} catch (error) {
  process.stdout.write(`jest did not report results: ${String(error)}\n0 passed, 1 failed\n`);
} finally {
  await rm(resultsDir, { recursive: true, force: true });
  await stack?.stop();
}
process.exit(exitCode);
