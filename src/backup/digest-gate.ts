import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through while hashing (SHA-256) and counting them, and holds back the end of
 * the stream until `verdict` settles: the consumer (the S3 upload) sees a clean end only when
 * the producer succeeded, and an error otherwise. pg_dump's stdout ends normally even when
 * pg_dump fails or is killed, so its exit code, not the end of its output, decides.
 */
export class DigestGate extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  private digestHex: string | undefined;

  constructor(private readonly verdict: Promise<void>) {
    super();
    // When the consumer gives up first (S3 failed), the end is never reached to observe it.
    verdict.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.verdict.then(
      () => {
        this.digestHex = this.hash.digest('hex');
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  /** The SHA-256 of everything that passed, once the stream ended cleanly. */
  get sha256(): string {
    if (!this.digestHex) throw new Error('the stream has not ended cleanly; there is no digest');
    return this.digestHex;
  }
}
