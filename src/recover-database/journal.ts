import { quoteIdent, quoteLiteral } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';

/**
 * How far a recovery got, kept on the server itself as the comment of the database it restored
 * (COMMENT ON DATABASE: it follows the database through its rename, survives a lost runner, and
 * shows in `\l+`). A re-run reads it to resume where the last run stopped, or to refuse.
 */
export type JournalState = 'restoring' | 'restored' | 'proven' | 'complete';

export interface Journal {
  /** The production database's name. */
  production: string;
  /** The backup key restored. */
  backup: string;
  /** The OID of the damaged database this recovery replaces. */
  replaces: string;
  /** The database the backup was restored into, until it takes the production name. */
  restoredAs: string;
  /** The name the damaged database is kept under. */
  keptAs: string;
  state: JournalState;
  /** The workflow run that started the recovery. */
  run?: string;
}

const PREFIX = 'dr-actions recover-database ';

export function journalComment(journal: Journal): string {
  return `${PREFIX}${JSON.stringify(journal)}`;
}

/** The journal in a database's comment; undefined for any other comment. */
export function parseJournal(comment: string | null | undefined): Journal | undefined {
  if (!comment?.startsWith(PREFIX)) return undefined;
  try {
    const data = JSON.parse(comment.slice(PREFIX.length)) as Partial<Journal>;
    const fields = [data.production, data.backup, data.replaces, data.restoredAs, data.keptAs, data.state];
    return fields.every((field) => typeof field === 'string') ? (data as Journal) : undefined;
  } catch {
    return undefined;
  }
}

/** Records the journal on the database (by its current name). */
export async function writeJournal(session: PsqlSession, database: string, journal: Journal): Promise<void> {
  await session.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS ${quoteLiteral(journalComment(journal))}`);
}
