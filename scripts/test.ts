/**
 * `npm test`: starts the test stack (PostgreSQL, moto_server), runs jest against it, and stops
 * the stack afterwards, also when tests fail or the run is interrupted. Arguments go to jest.
 * With DR_TEST_STACK already set (from `npm run stack`), that stack is used and left running.
 * jest runs on Node 24, the runtime of `using: node24` actions, when tools/node24 is installed
 * (npm ci); else on the Node that runs this script. `--coverage` writes coverage/ and holds
 * the suite to jest.config.js's coverageThreshold.
 * Ends with the totals on a line of their own: `N passed, N failed`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { startStack, STACK_ENV, type Stack } from '../harness/stack.js';
import { MOTO_CREDENTIALS } from '../harness/moto.js';
import { node24IfInstalled } from '../harness/node24.js';

interface JestTotals {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
}

const require = createRequire(import.meta.url);
// jest's package exports hide its bin; resolve it next to the package manifest.
const jestBin = join(dirname(require.resolve('jest/package.json')), 'bin', 'jest.js');

let stack: Stack | undefined;
const stopAndExit = async (code: number) => {
  await stack?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stopAndExit(130));
process.on('SIGTERM', () => void stopAndExit(143));

const reuse = Boolean(process.env[STACK_ENV]);
if (!reuse) {
  process.stdout.write('Starting the test stack (PostgreSQL, moto_server)...\n');
  stack = await startStack();
  process.stdout.write(`PostgreSQL ${stack.postgres.version} on 127.0.0.1:${stack.postgres.port}, moto_server on ${stack.awsEndpoint}\n`);
}

const node = node24IfInstalled() ?? process.execPath;

const resultsDir = await mkdtemp(join(tmpdir(), 'dr-actions-jest-'));
const resultsFile = join(resultsDir, 'results.json');
let exitCode = 1;
try {
  const { stdout: nodeVersion } = await execa(node, ['--version']);
  process.stdout.write(`jest on Node ${nodeVersion.replace(/^v/, '')}\n`);
  const run = await execa(node, ['--experimental-vm-modules', '--no-warnings', jestBin, '--json', '--outputFile', resultsFile, ...process.argv.slice(2)], {
    stdio: 'inherit',
    reject: false,
    env: { ...MOTO_CREDENTIALS, ...stack?.env },
  });
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
