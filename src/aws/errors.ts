/**
 * The HTTP status an AWS SDK error carries (S3, RDS, Route 53 alike), or undefined for an error
 * that never got an answer (a network failure, a bug). S3 answers some errors with a status and
 * no error code (a HEAD has no body), so the status is what tells "not found" from "denied".
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** True when the error is one AWS answered with one of these error codes (the SDK's name, or the Code of an XML answer). */
export function isAwsError(error: unknown, ...codes: string[]): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  return (typeof name === 'string' && codes.includes(name)) || (typeof Code === 'string' && codes.includes(Code));
}

/** True when AWS answered that the thing asked about does not exist (as opposed to an outage or a denial): one of the named codes, or, with none named, a 404. */
export function isNotFound(error: unknown, ...codes: string[]): boolean {
  return codes.length ? isAwsError(error, ...codes) : httpStatusOf(error) === 404;
}

/** The result of a read that may find nothing: undefined for the named not-found errors, anything else rethrown. */
export async function unlessNotFound<T>(read: Promise<T>, ...codes: string[]): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error, ...codes)) return undefined;
    throw error;
  }
}
