import type { Tag } from '@aws-sdk/client-rds';

/** Tags as RDS takes them. */
export const tagList = (tags: Record<string, string>): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Tags as RDS describes them (an instance's, a snapshot's), by key. */
export const tagsOf = (list: readonly Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));

/** Text as an RDS tag value: the characters RDS allows (letters, digits, space, _ . : / = + - @), at most 256. */
export const tagValue = (text: string): string => text.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, '_').slice(0, 256);
