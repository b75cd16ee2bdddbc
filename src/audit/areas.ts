import { backupChecks, readBackupFacts } from './backup-bucket.js';
import { cacheChecks, readReplicationGroup } from './cache.js';
import type { AuditArea, AuditCheck } from './check.js';
import type { AuditContext } from './context.js';
import { databaseChecks, readDatabaseFacts, type DatabaseFacts } from './database.js';
import { dnsChecks, readDnsFacts } from './dns.js';
import { mediaChecks, readMediaFacts } from './media-bucket.js';

export interface AreaResult {
  checks: AuditCheck[];
  /** The database's facts, which the report's objectives are measured from. */
  database?: DatabaseFacts;
}

/** Reads one area's settings from AWS and judges them; an area whose settings are absent (skipped) yields nothing. */
export async function auditArea(area: AuditArea, ctx: AuditContext): Promise<AreaResult> {
  const s = ctx.settings;
  switch (area) {
    case 'database': {
      if (!s.database) return { checks: [] };
      const facts = await readDatabaseFacts(ctx);
      return { checks: databaseChecks(ctx, facts), database: facts };
    }
    case 'media':
      return { checks: s.media ? mediaChecks(ctx, s.media, await readMediaFacts(ctx, s.media)) : [] };
    case 'backup':
      return { checks: s.backup ? backupChecks(ctx, s.backup, await readBackupFacts(ctx, s.backup)) : [] };
    case 'dns':
      return { checks: s.dns ? dnsChecks(ctx, s.dns, await readDnsFacts(ctx, s.dns)) : [] };
    case 'cache':
      return { checks: s.cache ? cacheChecks(ctx, s.cache, await readReplicationGroup(ctx, s.cache)) : [] };
  }
}
