/**
 * The tables whose rows an archive holds, read from `pg_restore --list`.
 * A TABLE DATA entry is printed as `<dumpId>; 0 <table oid> TABLE DATA <schema> <name> <owner>`:
 * pg_dump gives table data the catalog id (0, table oid), so the oid identifies the table
 * exactly even when names hold spaces, which the listing does not quote.
 */
export function tableDataOids(listing: string): number[] {
  const oids: number[] = [];
  for (const line of listing.split('\n')) {
    const match = /^\d+; 0 (\d+) TABLE DATA /.exec(line);
    if (match) oids.push(Number(match[1]));
  }
  return oids;
}
