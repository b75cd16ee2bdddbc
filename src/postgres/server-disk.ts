import type { DatabaseTarget } from './connection.js';
import { openMaintenance } from './scratch-database.js';
import { withSession } from './with-session.js';

/** Where a server writes a new database, as far as the connecting role may see it. */
export interface ServerDataLocation {
  /** data_directory, or undefined when the role may not read it (superusers and pg_read_all_settings may). */
  dataDirectory?: string;
  /** The folder of template0's tablespace (where CREATE DATABASE ... TEMPLATE template0 puts it), when it is not the default one. */
  tablespace?: string;
}

/**
 * The server's own view of its folders. Paths are the server's: a server in a container names
 * folders inside the container, which this machine may not have.
 */
export async function readServerDataLocation(target: DatabaseTarget, psqlPath: string): Promise<ServerDataLocation> {
  return withSession(openMaintenance(target, psqlPath), async (session) => {
    const [row] = await session.query(
      `SELECT CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE') THEN current_setting('data_directory') END,
              (SELECT pg_tablespace_location(dattablespace) FROM pg_database WHERE datname = 'template0')`,
    );
    const [dataDirectory, tablespace] = row ?? [];
    return {
      ...(dataDirectory ? { dataDirectory: String(dataDirectory) } : {}),
      ...(tablespace ? { tablespace: String(tablespace) } : {}),
    };
  });
}
