import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsSettings, S3Timeouts } from './settings.js';

/**
 * S3 limits are on silence, not on length. A request may take as long as it moves: a part upload
 * of hundreds of MiB, or an UploadPartCopy of 5 GiB and a CompleteMultipartUpload (storage/copy.ts),
 * which S3 may take minutes over; for those S3 sends its 200 headers early and then whitespace to
 * keep the connection alive, so an idle limit never fires on them while a wall-clock limit would.
 * 60 s of silence is pgBackRest's `io-timeout` default and the AWS CLI's and boto3's read timeout:
 * what an SRE expects, and long enough for S3's keep-alive whitespace. The connection limit is
 * the control plane's (clients.ts): a region that does not accept a connection in 10 s is down.
 * With the SDK's 6 attempts, a silent S3 fails a request in about 6 minutes, not the job's hours.
 */
export const DEFAULT_S3_TIMEOUTS: S3Timeouts = { connectMs: 10_000, idleMs: 60_000 };

/** S3 stopped answering a request: every attempt the SDK made ran into one of the limits. */
export class S3TimeoutError extends Error {
  override name = 'S3TimeoutError';
}

/** True when the error, or one it was wrapped around, is S3 that stopped answering. */
export function isS3Timeout(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 10; cause = cause.cause, depth++) {
    if (cause instanceof S3TimeoutError) return true;
  }
  return false;
}

/** The node-http-handler options: `socketTimeout` is its idle limit (on the response body too); `requestTimeout`, wall-clock until the headers, is left unset. */
export function s3RequestHandlerOptions(timeouts: S3Timeouts): { connectionTimeout: number; socketTimeout: number } {
  return { connectionTimeout: timeouts.connectMs, socketTimeout: timeouts.idleMs };
}

/**
 * Makes a request that ran into a limit fail with what happened in plain words: which S3, which
 * request, how long it was silent, after how many attempts. Added where the SDK's retries are
 * over (the initialize step), so that the retries still see the SDK's own TimeoutError. A body
 * that stalls after its headers fails its reader with the same kind of message.
 */
export function reportTimeoutsPlainly(client: S3Client, settings: AwsSettings, timeouts: S3Timeouts): void {
  const where = settings.endpointUrl
    ? `S3 at ${settings.endpointUrl} (${settings.region})`
    : `S3 in ${settings.region}`;
  const silence = seconds(timeouts.idleMs);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = describeRequest(context.commandName, args.input);
      try {
        const result = await next(args);
        const body = (result.output as { Body?: unknown }).Body;
        if (body instanceof Readable) {
          // node-http-handler destroys a stalled body with its own new TimeoutError; this listener is
          // the body's first, so the reader's pipeline rejects with the message rewritten here.
          body.once('error', (error: Error) => {
            if (isHandlerTimeout(error))
              error.message = `${where} stopped sending ${request} for ${silence}, part way through the response`;
          });
        }
        return result;
      } catch (error) {
        if (!isHandlerTimeout(error)) throw error;
        const what = /establish a connection/.test(error.message)
          ? `did not accept a connection for ${request} within ${seconds(timeouts.connectMs)}`
          : `did not answer ${request} for ${silence}`;
        const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
        throw new S3TimeoutError(`${where} ${what}${attempts ? `; gave up after ${attempts} attempts` : ''}`, {
          cause: error,
        });
      }
    },
    { step: 'initialize', name: 'plainS3TimeoutMessages', priority: 'high' },
  );
}

/**
 * node-http-handler's connection and idle timeouts: a TimeoutError without a code. (It also names
 * ECONNRESET, EPIPE and ETIMEDOUT errors TimeoutError; those keep their code and their message.)
 */
function isHandlerTimeout(error: unknown): error is Error {
  return error instanceof Error && error.name === 'TimeoutError' && (error as { code?: unknown }).code === undefined;
}

function describeRequest(commandName: string | undefined, input: unknown): string {
  const { Bucket, Key, Prefix } = (input ?? {}) as { Bucket?: unknown; Key?: unknown; Prefix?: unknown };
  const name = (commandName ?? 'a request').replace(/Command$/, '');
  if (typeof Bucket !== 'string') return name;
  const path = typeof Key === 'string' ? Key : typeof Prefix === 'string' ? Prefix : '';
  return `${name} s3://${Bucket}/${path}`;
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
