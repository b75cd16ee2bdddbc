import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through and holds back the end of the stream until `verdict` settles: the
 * consumer sees a clean end only when the producer succeeded, and an error otherwise. A child
 * process's stdout ends normally even when the process fails or is killed, so its exit code,
 * not the end of its output, must decide.
 */
export class EndGate extends Transform {
  constructor(private readonly verdict: Promise<void>) {
    super();
    // When the consumer gives up first, the end is never reached to observe the verdict.
    verdict.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.verdict.then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }
}
