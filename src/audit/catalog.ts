import { BACKUP_CHECKS } from './backup-bucket.js';
import { CACHE_CHECKS } from './cache.js';
import type { CheckDefinition } from './check.js';
import { DATABASE_CHECKS } from './database.js';
import { DNS_CHECKS } from './dns.js';
import { MEDIA_CHECKS } from './media-bucket.js';

/** Every check the audit makes, in the order the report lists them. */
export const ALL_CHECKS: readonly CheckDefinition[] = [
  DATABASE_CHECKS,
  MEDIA_CHECKS,
  BACKUP_CHECKS,
  DNS_CHECKS,
  CACHE_CHECKS,
].flatMap((group) => Object.values(group));
