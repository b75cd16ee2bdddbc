import { createHash } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import { parseHealthTarget, type HealthTarget } from '../health/target.js';
import { parseCommand } from '../util/command.js';
import { parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { parseCommandEnv, type CommandEnv } from './command-env.js';
import { DEFAULT_LOG_ERRORS, parseLogErrors } from './log-scan.js';

export type RecoverApplicationMode = 'plan' | 'execute';

export interface LogCheck {
  command: string[];
  pattern: RegExp;
}

export interface RecoverApplicationSettings {
  mode: RecoverApplicationMode;
  /** The health URL's host (and port): what confirm must equal. */
  application: string;
  /** In a drill only: the command that crashes the application first; the RTO runs from it. */
  crashCommand?: string[];
  restartCommand: string[];
  health: HealthTarget;
  logCheck?: LogCheck;
  /** When the outage began, if before this run (the alert's time): the RTO runs from it. */
  outageStartedAt?: Date;
  commandTimeoutSeconds: number;
  rtoSeconds: number;
  commandEnv: CommandEnv;
  /** What execute runs, as a digest: the plan's output, execute's check that it runs what was approved. */
  planDigest: string;
  reportPath: string;
}

const DIGEST = /^[0-9a-f]{64}$/;
/** A clock a little ahead of the runner's is no reason to refuse an outage's start. */
const CLOCK_SKEW_MS = 60_000;

/** The commands, the health check and the log check as execute would run them, hashed. */
function planDigest(
  parts: Omit<
    RecoverApplicationSettings,
    'mode' | 'planDigest' | 'reportPath' | 'outageStartedAt' | 'rtoSeconds' | 'commandTimeoutSeconds'
  >,
): string {
  const canonical = JSON.stringify({
    crash: parts.crashCommand ?? null,
    restart: parts.restartCommand,
    health: { url: parts.health.url, expectStatus: parts.health.expectStatus },
    log: parts.logCheck ? { command: parts.logCheck.command, pattern: parts.logCheck.pattern.source } : null,
    passEnv: parts.commandEnv.passed,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function assertConfirmed(mode: RecoverApplicationMode, confirm: string, application: string): void {
  if (mode !== 'execute') return;
  if (!confirm) {
    throw new ConfigurationError(
      `mode is execute but confirm is empty, so nothing was run: set confirm to '${application}' (the health-url's host) to restart the application; run mode: plan first to see what would run`,
    );
  }
  if (confirm !== application)
    throw new ConfigurationError(
      `confirm '${confirm}' does not equal the health-url's host '${application}', so nothing was run: set confirm to exactly '${application}'`,
    );
}

function parseLogCheck(input: InputReader, env: NodeJS.ProcessEnv, cwd: string): LogCheck | undefined {
  const command = parseCommand(input('log-command'), 'log-command', env, cwd);
  const errors = input('log-errors').trim();
  if (!command) {
    if (errors)
      throw new ConfigurationError(
        "log-errors is set but log-command is not: give the command that prints the application's recent logs (e.g. docker compose logs --since 15m backend), or drop log-errors",
      );
    return undefined;
  }
  return { command, pattern: parseLogErrors(errors || DEFAULT_LOG_ERRORS) };
}

function parseOutageStart(text: string, crash: string[] | undefined, now: Date): Date | undefined {
  if (!text.trim()) return undefined;
  if (crash)
    throw new ConfigurationError(
      'outage-started-at and crash-command are both set: in a drill the outage starts with crash-command; give one',
    );
  const at = new Date(text.trim());
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text.trim()) || Number.isNaN(at.getTime()))
    throw new ConfigurationError(
      `outage-started-at must be an ISO-8601 time such as 2026-03-14T09:26:00Z, got '${text.trim()}'`,
    );
  if (at.getTime() > now.getTime() + CLOCK_SKEW_MS)
    throw new ConfigurationError(`outage-started-at ${at.toISOString()} is in the future (now ${now.toISOString()})`);
  return at;
}

function checkPlanDigest(mode: RecoverApplicationMode, text: string, digest: string): void {
  const expected = text.trim().toLowerCase();
  if (!expected) return;
  if (!DIGEST.test(expected))
    throw new ConfigurationError(
      `expected-plan-digest must be the plan's plan-digest output (64 hexadecimal characters), got '${text.trim()}'`,
    );
  if (mode === 'execute' && expected !== digest) {
    throw new ConfigurationError(
      'the commands, health check or log check differ from the plan the reviewers approved (expected-plan-digest), so nothing was run: run the plan again with these inputs and have it approved',
    );
  }
}

/** Every input checked before any command runs; each mistake is one ConfigurationError. */
export function parseRecoverApplicationInputs(
  input: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  now = new Date(),
): RecoverApplicationSettings {
  const mode = parseChoice(input('mode'), 'mode', ['plan', 'execute'] as const, 'plan');
  const health = parseHealthTarget(input);
  if (!health)
    throw new ConfigurationError(
      "health-url is required: the application's health endpoint, e.g. https://api.example.com/api/v1/health/ (the plan's 'Verify health')",
    );
  const application = new URL(health.url).host.toLowerCase();
  assertConfirmed(mode, input('confirm').trim().toLowerCase(), application);
  const commandEnv = parseCommandEnv(input('pass-env'), env);
  const restartCommand = parseCommand(input('restart-command'), 'restart-command', commandEnv.env, cwd);
  if (!restartCommand)
    throw new ConfigurationError(
      "restart-command is required: what rebuilds and restarts the application (e.g. ssh deploy@app 'docker compose up -d', or aws ecs update-service --force-new-deployment ...)",
    );
  const crashCommand = parseCommand(input('crash-command'), 'crash-command', commandEnv.env, cwd);
  const parts = {
    application,
    crashCommand,
    restartCommand,
    health,
    logCheck: parseLogCheck(input, commandEnv.env, cwd),
    commandEnv,
  };
  const digest = planDigest(parts);
  checkPlanDigest(mode, input('expected-plan-digest'), digest);
  return {
    mode,
    ...parts,
    outageStartedAt: parseOutageStart(input('outage-started-at'), crashCommand, now),
    commandTimeoutSeconds: parseInteger(input('command-timeout-seconds'), 'command-timeout-seconds', 1200, 1),
    rtoSeconds: parseInteger(input('rto-seconds'), 'rto-seconds', 1800, 1),
    planDigest: digest,
    reportPath: input('report-path').trim() || 'recover-application-report.json',
  };
}
