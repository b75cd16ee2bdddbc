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
