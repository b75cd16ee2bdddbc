/**
 * What an archive holds, read from `pg_restore --list`. An entry is printed as
 * `<dumpId>; <catalog table oid> <object oid> <TYPE> <schema> <name> <owner>`. Data entries
 * (TABLE DATA, MATERIALIZED VIEW DATA) carry catalog id (0, relation oid), and definitions
 * (TABLE, SEQUENCE) carry (pg_class, relation oid), so the oid identifies the relation exactly
 * even when names hold spaces, which the listing does not quote. SEQUENCE SET carries (0, 0): it
 * is matched to its SEQUENCE by the rest of the line, printed alike for both.
 */
export interface TocContents {
  /** Tables whose rows the archive holds. */
  tableData: number[];
  /** Tables whose definition the archive holds (with or without their rows). */
  tableDefinitions: number[];
  /** Sequences whose value the archive sets. */
  sequenceSets: number[];
  /** Materialized views the restore populates (REFRESH). */
  materializedViewData: number[];
  /** Whether the archive holds large objects. */
  largeObjects: boolean;
}

function oidsOf(listing: string, type: string, catalog: string): number[] {
  const pattern = new RegExp(`^\\d+; ${catalog} (\\d+) ${type} `);
  const oids: number[] = [];
  for (const line of listing.split('\n')) {
    const match = pattern.exec(line);
    if (match) oids.push(Number(match[1]));
  }
  return oids;
}

/** Oids of the sequences whose value the archive sets. */
function sequenceSetOids(listing: string): number[] {
  const lines = listing.split('\n');
  const set = new Set(lines.flatMap((line) => /^\d+; 0 0 SEQUENCE SET (.*)$/.exec(line)?.[1] ?? []));
  return lines.flatMap((line) => {
    const match = /^\d+; 1259 (\d+) SEQUENCE (.*)$/.exec(line);
    return match && set.has(match[2] as string) ? [Number(match[1])] : [];
  });
}

export function readToc(listing: string): TocContents {
  return {
    tableData: oidsOf(listing, 'TABLE DATA', '0'),
    tableDefinitions: oidsOf(listing, 'TABLE', '1259'),
    sequenceSets: sequenceSetOids(listing),
    materializedViewData: oidsOf(listing, 'MATERIALIZED VIEW DATA', '0'),
    // BLOB/BLOBS up to PostgreSQL 16; BLOB METADATA from 17; LARGE OBJECT(S) in newer listings.
    largeObjects: /^\d+; \d+ \d+ (BLOBS?|BLOB METADATA|LARGE OBJECTS?) /m.test(listing),
  };
}

/** The tables whose rows an archive holds. */
export function tableDataOids(listing: string): number[] {
  return readToc(listing).tableData;
}
