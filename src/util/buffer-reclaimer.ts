import { Transform, type TransformCallback } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = () => void;

/**
 * Every read from a socket, and every chunk zlib produces, is a new buffer outside V8's heap. V8
 * collects the young generation when its JS objects fill it, and for outside bytes only once about
 * 64 MiB of them have piled up. A stream of a few MiB never gets there; one of hundreds of MiB
 * sits at that ceiling while it flows. A minor collection every few MiB keeps the dead buffers to
 * a few MiB and takes well under a millisecond. Where the reader owns the buffers, nothing piles
 * up and this is not needed (the backup of a custom-format dump, byte-source.ts); it is left for
 * restore-verify's download and the gzip streams of plain dumps.
 *
 * It is opt-in (DR_ACTIONS_RECLAIM_BUFFERS=true in the step's env), because it sets V8's
 * --expose-gc after start-up, which Node documents as unpredictable. Peak RSS of restore-verify,
 * bundled, on Node 24, 2 shared cores (opted in / default; bench/results/2026-11-30-{S,M}.md):
 * S (107 MiB on disk, a 23 MiB dump, median of 3) 103 / 119 MiB; M (1.7 GiB, a 420 MiB dump,
 * one run) 107 / 154 MiB.
 */
export const RECLAIM_OPT_IN = 'DR_ACTIONS_RECLAIM_BUFFERS';

/** The minor collector when the environment opts in, else null (V8 collects at its own pace). */
export function optedInCollector(env: NodeJS.ProcessEnv = process.env): Collect | null {
  return env[RECLAIM_OPT_IN] === 'true' ? minorGarbageCollector() : null;
}

export const RECLAIM_EVERY_BYTES = 8 * 1024 * 1024;

let minorCollector: Collect | null | undefined;

/**
 * V8's young-generation collection. The runner starts actions as `node dist/index.js`, without
 * `--expose-gc`, so the flag is set just long enough to take the function from a new context
 * (as jest's leak detector does), then unset. Null where that fails: streams still work, at V8's
 * own pace.
 */
export function minorGarbageCollector(): Collect | null {
  if (minorCollector !== undefined) return minorCollector;
  type Gc = (options: { type: 'minor' }) => void;
  let gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== 'function') {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('typeof gc === "function" ? gc : undefined') as Gc | undefined;
    } catch {
      gc = undefined;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  minorCollector = typeof gc === 'function' ? () => (gc as Gc)({ type: 'minor' }) : null;
  return minorCollector;
}

/** A pass-through that frees the buffers already passed on after every `everyBytes`, when opted in. */
export class BufferReclaimer extends Transform {
  private sinceCollection = 0;

  constructor(
    private readonly everyBytes = RECLAIM_EVERY_BYTES,
    private readonly collect: Collect | null = optedInCollector(),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sinceCollection += chunk.length;
    if (this.sinceCollection >= this.everyBytes) {
      this.sinceCollection = 0;
      this.collect?.();
    }
    callback(null, chunk);
  }
}
