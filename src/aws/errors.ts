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

/** True when the AWS SDK error is one of `names` (its name, or the error code some services also give). */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  return (typeof name === 'string' && names.includes(name)) || (typeof Code === 'string' && names.includes(Code));
}

/**
 * The result of a read that may find nothing: undefined when AWS answers with one of `notFound`
 * (the thing asked about does not exist), anything else (an outage, a denial) rethrown.
 */
export async function unlessNotFound<T>(read: Promise<T>, ...notFound: [string, ...string[]]): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isAwsError(error, ...notFound)) return undefined;
    throw error;
  }
}
