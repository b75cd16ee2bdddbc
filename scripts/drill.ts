/**
 * `npm run drill`: the plan's full disaster-recovery drill on this machine, in one command.
 * Starts the test stack (PostgreSQL, moto_server) and a production server that archives its WAL
 * (what RDS keeps for point-in-time recovery), creates a deterministic sample SaaS database and
 * its application's roles there, then runs the bundled actions exactly as a runner would (Node 24,
 * INPUT_* variables, output and summary files): the steps in scripts/drill/steps.ts, each in a
 * file of its own in scripts/drill/steps/. Stops everything it started, also on failure or Ctrl-C;
 * exits non-zero when the drill failed.
 *
 *   npm run drill -- [--size MB] [--keep] [--json] [--out DIR]
 *
 * APP_DB_PASSWORD, when set, is the application role's password (as a secret would give it);
 * otherwise the drill makes one up.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillRun } from './drill/drill-run.js';
import { parseDrillOptions, type DrillOptions } from './drill/options.js';
import { runSteps } from './drill/step.js';
import { DRILL_STEPS } from './drill/steps.js';
import { judge, verdictJson, verdictText } from './drill/verdict.js';

let options: DrillOptions;
try {
  options = parseDrillOptions(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
// The drill's own processes run on the machine's Node; the SDK's notice about Node 22 is not for them.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const drill = new DrillRun(options);
let stopping: Promise<never> | undefined;
const stop = (code: number): Promise<never> => {
  stopping ??= drill.stop().then(() => process.exit(code));
  return stopping;
};
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

try {
  await rm(options.outDir, { recursive: true, force: true });
  await mkdir(join(options.outDir, 'summaries'), { recursive: true });
  await mkdir(drill.reportsDir, { recursive: true });
  await runSteps(drill, DRILL_STEPS);
} catch (error) {
  drill.say(`the drill stopped: ${error instanceof Error ? error.message : String(error)}`);
  drill.steps.push({ name: 'drill', passed: false, seconds: 0, detail: String(error) });
}

const verdict = await judge(drill);
if (options.json) {
  process.stdout.write(`${verdictJson(drill, verdict)}\n`);
} else {
  drill.say(
    `${verdict.passed ? 'PASSED' : 'FAILED'}: ${drill.steps.filter((s) => s.passed).length} of ${drill.steps.length} steps passed`,
  );
  process.stdout.write(verdictText(drill, verdict));
}
await stop(verdict.passed ? 0 : 1);
