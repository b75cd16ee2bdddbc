import { ConfigurationError, errorMessage } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import type { ReportStep, StepRecorder } from './report.js';

/** A step failed for these reasons (one sentence each); the step's detail is the message. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

/** The step does not apply to this run (nothing configured, nothing to compare with): skipped, with why. */
export class NotApplicable {
  constructor(
    readonly reason: string,
    /** What the skip means for the caller, when the step is skipped because an earlier run did its work. */
    readonly whenSkipped?: () => void,
  ) {}
}

export const notApplicable = (reason: string): NotApplicable => new NotApplicable(reason);

/** The step's work is already done (by an earlier run): skipped with why, and `effect` records that it is done. */
export const alreadyDone = (reason: string, effect: () => void): NotApplicable => new NotApplicable(reason, effect);

/**
 * One step of a run: what it takes from the results of the steps before it, what it does with
 * that, and how its result reads in the report.
 */
export interface Step<Results, In, Out> {
  name: string;
  /**
   * Why the step does not apply, judged on whatever earlier steps produced and before anything
   * else: a step that does not apply says so even when an earlier failure would have stopped it.
   */
  skip?: (results: Partial<Results>) => string | undefined;
  /** What the step works on; NotApplicable skips it with its reason. */
  input: (results: Results) => In | NotApplicable;
  run: (input: In) => Promise<Out>;
  describe?: (result: Out, input: In) => string | undefined;
}

/**
 * 'blocking': when it fails, the later steps do not run (nothing to restore, nothing to verify).
 * 'independent': the verifications; each runs whatever the others found.
 * 'always': the clean-up; runs last, whatever failed, even after a cancel.
 */
export type StepMode = 'blocking' | 'independent' | 'always';

export interface PipelineOptions {
  recorder: StepRecorder;
  /** 'collect': failures become reasons and the run goes on as each step's mode says; 'throw': the first failure ends the run, thrown as it was. */
  onFailure: 'collect' | 'throw';
  /** Logs each step's start and detail. */
  log?: Logger;
  /** Step messages go into the report and the summary: these are masked in them. */
  secrets?: (string | undefined)[];
  /** Aborting stops the steps not yet started (the 'always' ones still run). */
  signal?: AbortSignal;
}

export interface PipelineRun<Results> {
  /** Each step's result under its key; absent for a step that failed or did not run. */
  results: Partial<Results>;
  /** Why the run failed ('collect'), one sentence each. */
  reasons: string[];
  steps: ReportStep[];
}

type Stored = Record<string, unknown>;

interface Entry {
  key?: string;
  name: string;
  mode: StepMode;
  skip?: (results: Stored) => string | undefined;
  prepare: (
    results: Stored,
  ) => NotApplicable | { run: () => Promise<unknown>; describe: (result: unknown) => string | undefined };
}

/**
 * The steps of one run as a list: each step's result is stored under its key for the steps after
 * it, typed. A blocking step's result is there for every later step (had it failed, they would
 * not run); an independent or skippable step's result may be absent; an 'always' step sees
 * whatever there is.
 */
export class StepPipeline<Results extends object> {
  private constructor(
    private readonly entries: Entry[],
    private readonly cleanups: ((stored: Stored) => Promise<void>)[],
  ) {}

  static start<Initial extends object>(): StepPipeline<Initial> {
    return new StepPipeline<Initial>([], []);
  }

  /** A blocking step that always applies: the steps after it read its result. */
  step<K extends string, In, Out>(key: K, step: Step<Results, In, Out>): StepPipeline<Results & { [P in K]: Out }> {
    return this.add(key, 'blocking', step);
  }

  /** A blocking step that may not apply: the steps after it may find its result absent. */
  optionalStep<K extends string, In, Out>(
    key: K,
    step: Step<Results, In, Out>,
  ): StepPipeline<Results & { [P in K]?: Out }> {
    return this.add(key, 'blocking', step);
  }

  /** An independent step: it runs whatever the other independent steps found. */
  check<K extends string, In, Out>(key: K, step: Step<Results, In, Out>): StepPipeline<Results & { [P in K]?: Out }> {
    return this.add(key, 'independent', step);
  }

  /** An 'always' step: runs after all others, whatever failed. */
  always<K extends string, In, Out>(
    key: K,
    step: Step<Partial<Results>, In, Out>,
  ): StepPipeline<Results & { [P in K]?: Out }> {
    return this.add(key, 'always', step);
  }

  /** A step this run leaves out (nothing configured for it): recorded as skipped with why, whatever happened before. */
  skipped(name: string, reason: string): StepPipeline<Results> {
    return new StepPipeline<Results>(
      [...this.entries, { name, mode: 'independent', skip: () => reason, prepare: () => notApplicable(reason) }],
      this.cleanups,
    );
  }

  /** Work that is not a step of the report (removing a temporary directory), done before the 'always' steps. */
  finally(cleanup: (results: Partial<Results>) => Promise<void>): StepPipeline<Results> {
    // The same cast as in run: the stored record holds what the earlier steps typed it with.
    return new StepPipeline<Results>(this.entries, [...this.cleanups, (stored) => cleanup(stored as Partial<Results>)]);
  }

  async run(initial: Partial<Results>, options: PipelineOptions): Promise<PipelineRun<Results>> {
    const stored: Stored = { ...initial };
    const runner = new Runner(options);
    try {
      for (const entry of this.entries) if (entry.mode !== 'always') await runner.run(entry, stored);
    } finally {
      for (const cleanup of this.cleanups) await cleanup(stored);
      for (const entry of this.entries) if (entry.mode === 'always') await runner.run(entry, stored);
    }
    // Only the pipeline writes `stored`, each key with its step's result: it holds the Results it was typed with.
    return { results: stored as Partial<Results>, reasons: runner.reasons, steps: options.recorder.steps };
  }

  private add<Next extends object, R, In, Out>(
    key: string,
    mode: StepMode,
    step: Step<R, In, Out>,
  ): StepPipeline<Next> {
    const entry: Entry = {
      key,
      name: step.name,
      mode,
      // The same casts as in run: the stored record holds what the earlier steps typed it with.
      skip: step.skip && ((results) => step.skip?.(results as Partial<R>)),
      prepare: (results) => {
        const input = step.input(results as R);
        if (input instanceof NotApplicable) return input;
        return { run: () => step.run(input), describe: (result) => step.describe?.(result as Out, input) };
      },
    };
    return new StepPipeline<Next>([...this.entries, entry], this.cleanups);
  }
}

/** Runs one step after another, timing each, and collects the reasons for failure. */
class Runner {
  readonly reasons: string[] = [];
  private blockedBy: string | undefined;

  constructor(private readonly options: PipelineOptions) {}

  async run(entry: Entry, stored: Stored): Promise<void> {
    const { recorder, log } = this.options;
    const reason = entry.skip?.(stored);
    if (reason !== undefined) return recorder.skip(entry.name, reason);
    if (entry.mode !== 'always') {
      if (!this.blockedBy && this.options.signal?.aborted) {
        this.blockedBy = 'the run was cancelled';
        this.reasons.push(this.blockedBy);
      }
      if (this.blockedBy) return recorder.skip(entry.name, `not run: ${this.blockedBy}`);
    }
    const prepared = entry.prepare(stored);
    if (prepared instanceof NotApplicable) {
      recorder.skip(entry.name, prepared.reason);
      return prepared.whenSkipped?.();
    }
    log?.info(`${entry.name}...`);
    try {
      const result = await recorder.run(entry.name, () => this.redacted(prepared.run), prepared.describe);
      if (entry.key) stored[entry.key] = result;
      const detail = recorder.steps.at(-1)?.detail;
      if (detail) log?.info(`${entry.name}: ${detail}`);
    } catch (error) {
      if (this.options.onFailure === 'throw') throw error;
      if (entry.mode === 'blocking') this.blockedBy = `'${entry.name}' failed`;
      this.reasons.push(...(error instanceof StepFailure ? error.reasons : [`${entry.name}: ${errorMessage(error)}`]));
      log?.warning(`${entry.name} failed: ${errorMessage(error)}`);
    }
  }

  private async redacted<T>(fn: () => Promise<T>): Promise<T> {
    const secrets = this.options.secrets ?? [];
    try {
      return await fn();
    } catch (error) {
      const message = errorMessage(error);
      const clean = redact(message, secrets);
      if (clean === message) throw error;
      if (error instanceof StepFailure)
        throw new StepFailure(
          clean,
          error.reasons.map((r) => redact(r, secrets)),
        );
      throw error instanceof ConfigurationError ? new ConfigurationError(clean) : new Error(clean);
    }
  }
}
