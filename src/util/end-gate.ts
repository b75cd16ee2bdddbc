import type { ByteSource } from './byte-source.js';

/**
 * The source's bytes, whose end is held back until `verdict` settles: the reader sees a clean end
 * only when the producer succeeded, and an error otherwise. A child process's output ends normally
 * even when the process fails or is killed, so its exit code, not the end of its output, must decide.
 */
export function gatedSource(source: ByteSource, verdict: Promise<void>): ByteSource {
  // When the reader gives up first, the end is never reached to observe the verdict.
  verdict.catch(() => undefined);
  return {
    async read(into) {
      const read = await source.read(into);
      if (read === 0) await verdict;
      return read;
    },
  };
}
