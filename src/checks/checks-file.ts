import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { splitSqlStatements, SqlSplitError } from './sql-statements.js';

/** Checklist rows of the plan that a check can stand for, as written in `-- checklist:` lines. */
export const CHECKLIST_TAGS = { 'user-login': 'userLogin', payments: 'payments' } as const;
export type ChecklistTag = keyof typeof CHECKLIST_TAGS;

/** One assertion: a query returning one row whose first column is a boolean. */
export interface Check {
  name: string;
  /** 1-based line of the statement in the file. */
  line: number;
  sql: string;
  /** The plan's checklist rows this check stands for (`-- checklist: user-login, payments`). */
  checklist: ChecklistTag[];
}

export interface ChecksFile {
  /** As the user wrote it, for messages. */
  path: string;
  checks: Check[];
}

const NAME_PREVIEW = 60;

function defaultName(sql: string, line: number): string {
  const flat = sql.replace(/\s+/g, ' ');
  return `line ${line}: ${flat.length > NAME_PREVIEW ? `${flat.slice(0, NAME_PREVIEW)}...` : flat}`;
}

/** The plan's checklist rows the user's checks prove (`-- checklist:` lines). */
export function checklistTags(checks: ChecksFile | undefined): Set<ChecklistTag> {
  return new Set((checks?.checks ?? []).flatMap((c) => c.checklist));
}

/**
 * Reads a checks file: SQL statements, each optionally preceded by `-- name: ...` (how it is
 * reported) and `-- checklist: user-login` / `payments` (which row of the plan's Test Checklist
 * it proves). Every problem is one ConfigurationError naming the file and the line.
 */
export function parseChecks(text: string, path: string): ChecksFile {
  const fail = (message: string): never => {
    throw new ConfigurationError(`checks file '${path}' ${message}`);
  };
  let split: ReturnType<typeof splitSqlStatements>;
  try {
    split = splitSqlStatements(text);
  } catch (error) {
    if (error instanceof SqlSplitError) fail(`line ${error.line}: ${error.message}`);
    throw error;
  }
  const { statements, trailing } = split;
  const dangling = trailing.find((d) => d.key === 'name' || d.key === 'checklist');
  if (dangling)
    fail(
      `line ${dangling.line}: '-- ${dangling.key}: ${dangling.value}' stands before no statement; put it right before the statement it describes`,
    );
  if (statements.length === 0)
    fail('holds no SQL statements; write one query per check, e.g. SELECT count(*) > 0 FROM users;');

  const lineOfName = new Map<string, number>();
  const checks = statements.map((statement): Check => {
    let name: string | undefined;
    const checklist: ChecklistTag[] = [];
    for (const directive of statement.directives) {
      if (directive.key === 'name') {
        if (!directive.value) fail(`line ${directive.line}: '-- name:' needs a name after the colon`);
        if (name !== undefined)
          fail(
            `line ${directive.line}: the statement on line ${statement.line} already has a name ('${name}'); give it one name`,
          );
        name = directive.value;
      } else if (directive.key === 'checklist') {
        for (const raw of directive.value.split(',')) {
          const tag = raw.trim().toLowerCase();
          if (!(tag in CHECKLIST_TAGS)) {
            fail(
              `line ${directive.line}: unknown checklist item '${raw.trim()}'; use ${Object.keys(CHECKLIST_TAGS).join(' or ')}`,
            );
          }
          if (!checklist.includes(tag as ChecklistTag)) checklist.push(tag as ChecklistTag);
        }
      }
    }
    const finalName = name ?? defaultName(statement.sql, statement.line);
    const earlier = lineOfName.get(finalName);
    if (earlier !== undefined)
      fail(`names two checks '${finalName}' (lines ${earlier} and ${statement.line}); give each its own name`);
    lineOfName.set(finalName, statement.line);
    return { name: finalName, line: statement.line, sql: statement.sql, checklist };
  });
  return { path, checks };
}

/** Reads and parses the checks file; relative paths start from `cwd` (the workspace on a runner). */
export function loadChecksFile(path: string, cwd: string = process.cwd()): ChecksFile {
  const full = resolve(cwd, path);
  const stat = statSync(full, { throwIfNoEntry: false });
  if (!stat) throw new ConfigurationError(`checks file '${path}' does not exist (looked for ${full})`);
  if (!stat.isFile()) throw new ConfigurationError(`checks '${path}' is not a file; name a .sql file of checks`);
  return parseChecks(readFileSync(full, 'utf8'), path);
}
