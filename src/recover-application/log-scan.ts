import { ConfigurationError } from '../errors.js';

/**
 * The default log-errors: what Python (the plan's Django and Celery), Node, Go and most loggers
 * print for an error that stops a request or a worker.
 */
export const DEFAULT_LOG_ERRORS = String.raw`\b(ERROR|CRITICAL|FATAL)\b|Traceback \(most recent call last\)|Unhandled|panic:`;

/** How many matching lines are kept to be shown; all are counted. */
export const MAX_SHOWN_LINES = 50;
/** A line longer than this is shown cut. */
const MAX_LINE_CHARACTERS = 500;

/** log-errors as a regular expression that cannot match every line. */
export function parseLogErrors(text: string): RegExp {
  let pattern: RegExp;
  try {
    pattern = new RegExp(text);
  } catch (error) {
    throw new ConfigurationError(`log-errors is not a regular expression: ${(error as Error).message}`);
  }
  if (pattern.test(''))
    throw new ConfigurationError(
      `log-errors /${text}/ matches an empty line, so every line would count as an error; make it match only error lines, e.g. ${DEFAULT_LOG_ERRORS}`,
    );
  return pattern;
}

/** Lines of a command's output tested as they come (stdout and stderr each cut at their own line ends). */
export class LogScan {
  lines = 0;
  matches = 0;
  readonly shown: string[] = [];
  private readonly partial = { stdout: '', stderr: '' };

  constructor(private readonly pattern: RegExp) {}

  add(chunk: string, stream: 'stdout' | 'stderr'): void {
    const parts = (this.partial[stream] + chunk).split(/\r?\n/);
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.test(line);
  }

  /** The last line of each stream, when it did not end with a line break. */
  finish(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.test(this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  private test(line: string): void {
    this.lines += 1;
    if (!this.pattern.test(line)) return;
    this.matches += 1;
    if (this.shown.length < MAX_SHOWN_LINES)
      this.shown.push(line.length > MAX_LINE_CHARACTERS ? `${line.slice(0, MAX_LINE_CHARACTERS)}…` : line);
  }
}
