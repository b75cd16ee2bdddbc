import type { Tag } from '@aws-sdk/client-rds';

/** Tags as RDS takes them. */
export const tagList = (tags: Record<string, string>): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Tags as RDS describes them (an instance's, a snapshot's), by key. */
export const tagsOf = (list: readonly Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));
