import type { Check } from '../checks/checks-file.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { displayName, qualifiedName, quoteIdent, quoteLiteral } from '../postgres/identifiers.js';
import { runPsqlScript, type PsqlScriptOptions } from '../postgres/psql-script.js';
import { StepFailure } from '../report/step-pipeline.js';
import { plural } from '../util/format.js';
import type { FreshnessColumn } from './inputs.js';

export interface TableFact {
  schema: string;
  name: string;
  /** The planner's estimate (pg_class.reltuples); null when the table was never analysed. */
  estimatedRows: number | null;
  /** count(*), for the tables count-tables names. */
  exactRows?: number;
}

export interface NewestRow {
  column: string;
  /** ISO time of the newest value; null for an empty table. */
  newest: string | null;
  /** Seconds from the newest row to the recovery point: how close to it the data reaches. */
  beforeRecoveryPointSeconds?: number;
  error?: string;
}

export interface DatabaseProof {
  tables: TableFact[];
  /** Tables the checks read, as written there, and whether the restored database has them. */
  namedByChecks: { name: string; exists: boolean }[];
  newestRows: NewestRow[];
}

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const TABLE_REFERENCE = new RegExp(String.raw`\b(?:from|join)\s+(${NAME}(?:\s*\.\s*${NAME})?)(?!\s*\()`, 'gi');
const SYSTEM = /^(?:"?pg_catalog"?\.|"?information_schema"?\.|pg_)/i;

/** The tables a check's SQL reads (after FROM or JOIN), functions and catalogs left out. */
export function tablesNamedBy(checks: readonly Check[]): string[] {
  const names = new Set<string>();
  for (const check of checks) {
    for (const match of check.sql.matchAll(TABLE_REFERENCE)) {
      const name = (match[1] as string).replace(/\s*\.\s*/, '.');
      if (!SYSTEM.test(name) && !/^(?:lateral|select|unnest)$/i.test(name)) names.add(name);
    }
  }
  return [...names];
}

async function rows(target: DatabaseTarget, sql: string, options: PsqlScriptOptions) {
  const result = await runPsqlScript(target, `${sql}\n`, options);
  if (!result.ok) throw new StepFailure(result.error, [`tables: ${result.error}`]);
  return result.rows;
}

const TABLES_SQL = `SELECT n.nspname, c.relname, c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2;`;

async function newestRow(
  target: DatabaseTarget,
  column: FreshnessColumn,
  recoveryPoint: Date,
  options: PsqlScriptOptions,
): Promise<NewestRow> {
  const name = `${displayName({ schema: column.schema, name: column.table })}.${column.column}`;
  const sql = `SELECT extract(epoch FROM max(${quoteIdent(column.column)}))::text FROM ${qualifiedName({ schema: column.schema, name: column.table })};`;
  const result = await runPsqlScript(target, `${sql}\n`, options);
  if (!result.ok) return { column: name, newest: null, error: result.error };
  const epoch = result.rows[0]?.[0];
  if (epoch === null || epoch === undefined) return { column: name, newest: null };
  const newest = new Date(Number(epoch) * 1000);
  return {
    column: name,
    newest: newest.toISOString(),
    beforeRecoveryPointSeconds: Math.round((recoveryPoint.getTime() - newest.getTime()) / 10) / 100,
  };
}

/**
 * What a restored database shows without a manifest: its tables with estimated rows (exact where
 * asked), whether the tables the checks read exist, and the newest row of the columns named, as
 * evidence of how recent the data is.
 */
export async function proveDatabase(
  target: DatabaseTarget,
  request: {
    checks: readonly Check[];
    countTables: { schema: string; table: string }[];
    newestRows: FreshnessColumn[];
    recoveryPoint: Date;
  },
  options: PsqlScriptOptions,
): Promise<DatabaseProof> {
  const tables: TableFact[] = (await rows(target, TABLES_SQL, options)).map(([schema, name, estimate]) => ({
    schema: schema ?? '',
    name: name ?? '',
    estimatedRows: estimate === null || estimate === undefined || Number(estimate) < 0 ? null : Number(estimate),
  }));
  for (const wanted of request.countTables) {
    const fact = tables.find((t) => t.schema === wanted.schema && t.name === wanted.table);
    if (!fact) continue;
    const [[count] = []] = await rows(target, `SELECT count(*) FROM ${qualifiedName(fact)};`, options);
    fact.exactRows = Number(count);
  }
  const namedByChecks = [];
  for (const name of tablesNamedBy(request.checks)) {
    const [[exists] = []] = await rows(target, `SELECT to_regclass(${quoteLiteral(name)}) IS NOT NULL;`, options);
    namedByChecks.push({ name, exists: exists === 't' });
  }
  const newestRows = [];
  for (const column of request.newestRows)
    newestRows.push(await newestRow(target, column, request.recoveryPoint, options));
  return { tables, namedByChecks, newestRows };
}

/** The tables step's verdict: a table the checks read or count-tables names is missing, or a newest-row query failed. */
export function judgeProof(proof: DatabaseProof, countTables: { schema: string; table: string }[]): string {
  const reasons = [
    ...proof.namedByChecks
      .filter((t) => !t.exists)
      .map((t) => `table ${t.name}, which the checks read, does not exist in the restored database`),
    ...countTables
      .filter((w) => !proof.tables.some((t) => t.schema === w.schema && t.name === w.table))
      .map(
        (w) =>
          `count-tables names ${displayName({ schema: w.schema, name: w.table })}, which does not exist in the restored database`,
      ),
    ...proof.newestRows.filter((n) => n.error).map((n) => `newest row of ${n.column}: ${n.error}`),
  ];
  if (reasons.length) throw new StepFailure(reasons.join('; '), reasons);
  const counted = proof.tables.filter((t) => t.exactRows !== undefined).length;
  const fresh = proof.newestRows.map((n) => `${n.column} newest ${n.newest ?? 'none (empty)'}`);
  return [
    `${plural(proof.tables.length, 'table')} (${counted} counted exactly)`,
    proof.namedByChecks.length ? `the ${plural(proof.namedByChecks.length, 'table')} the checks read exist` : '',
    ...fresh,
  ]
    .filter(Boolean)
    .join('; ');
}
