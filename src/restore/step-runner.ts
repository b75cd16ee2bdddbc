import { ConfigurationError, errorMessage } from '../errors.js';
import type { ReportStep, StepRecorder } from '../report/report.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';

/** A step failed for these reasons (one sentence each); the step's detail is the message. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

/**
 * 'blocking': when it fails, the later steps do not run (nothing to restore, nothing to verify).
 * 'independent': the verifications; each runs whatever the others found.
 * 'always': the clean-up; runs whatever failed, even after a cancel.
 */
export type StepMode = 'blocking' | 'independent' | 'always';

/** Runs the steps of one run in order, timing each, and collects the reasons for failure. */
export class StepRunner {
  readonly reasons: string[] = [];
  private blockedBy: string | undefined;

  constructor(
    private readonly recorder: StepRecorder,
    private readonly log: Logger,
    private readonly secrets: (string | undefined)[],
    private readonly signal?: AbortSignal,
  ) {}

  async run<T>(name: string, fn: () => Promise<T>, describe?: (result: T) => string | undefined, mode: StepMode = 'blocking'): Promise<T | undefined> {
    if (mode !== 'always') {
      if (!this.blockedBy && this.signal?.aborted) {
        this.blockedBy = 'the run was cancelled';
        this.reasons.push(this.blockedBy);
      }
      if (this.blockedBy) {
        this.recorder.skip(name, `not run: ${this.blockedBy}`);
        return undefined;
      }
    }
    this.log.info(`${name}...`);
    try {
      const result = await this.recorder.run(name, () => this.redacted(fn), describe);
      const detail = this.recorder.steps.at(-1)?.detail;
      if (detail) this.log.info(`${name}: ${detail}`);
      return result;
    } catch (error) {
      if (mode === 'blocking') this.blockedBy = `'${name}' failed`;
      this.reasons.push(...(error instanceof StepFailure ? error.reasons : [`${name}: ${errorMessage(error)}`]));
      this.log.warning(`${name} failed: ${errorMessage(error)}`);
      return undefined;
    }
  }

  /** A step that does not apply (nothing configured, nothing to compare with): skipped, with why. */
  skip(name: string, detail: string): void {
    this.recorder.skip(name, detail);
  }

  get steps(): ReportStep[] {
    return this.recorder.steps;
  }

  /** Step messages go into the report and the summary: no secret may ride along. */
  private async redacted<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const message = errorMessage(error);
      const clean = redact(message, this.secrets);
      if (clean === message) throw error;
      if (error instanceof StepFailure) throw new StepFailure(clean, error.reasons.map((r) => redact(r, this.secrets)));
      throw error instanceof ConfigurationError ? new ConfigurationError(clean) : new Error(clean);
    }
  }
}
