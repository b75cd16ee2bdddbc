/** True when AWS answered that the thing asked about does not exist (as opposed to an outage or a denial). */
export function isNotFound(error: unknown, ...names: string[]): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return names.includes(e.name ?? '') || names.includes(e.Code ?? '') || (names.length === 0 && e.$metadata?.httpStatusCode === 404);
}

/** The result of a read that may find nothing: undefined for the named not-found errors, anything else rethrown. */
export async function unlessNotFound<T>(read: Promise<T>, ...names: string[]): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error, ...names)) return undefined;
    throw error;
  }
}
