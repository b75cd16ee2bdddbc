/** One statement of an SQL file, with the comment lines that stood right before it. */
export interface SqlStatement {
  /** The statement's text, from its first token up to (not including) the terminating semicolon. */
  sql: string;
  /** 1-based line of the statement's first token. */
  line: number;
  /** `-- key: value` comment lines between the previous statement and this one, in order. */
  directives: SqlDirective[];
}

export interface SqlDirective {
  key: string;
  value: string;
  line: number;
}

/** The file cannot be split: an unterminated quote or comment, or a psql meta-command. */
export class SqlSplitError extends Error {
  override name = 'SqlSplitError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const DIRECTIVE = /^--\s*([a-z][a-z-]*)\s*:\s*(.*?)\s*$/i;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Splits SQL text into statements at top-level semicolons, the way PostgreSQL's lexer reads it:
 * '...' strings (with '' inside), E'...' strings (with backslash escapes), "..." identifiers,
 * $tag$...$tag$ dollar quotes, -- line comments and nested /* block comments *\/ never end a
 * statement. Comment lines of the form `-- key: value` standing before a statement are kept as
 * its directives; one after the last statement is returned in `trailing`.
 */
export function splitSqlStatements(text: string): { statements: SqlStatement[]; trailing: SqlDirective[] } {
  const statements: SqlStatement[] = [];
  let directives: SqlDirective[] = [];
  let start = -1;
  let startLine = 0;
  let line = 1;
  let i = 0;

  const countNewlines = (from: number, to: number) => {
    for (let k = from; k < to; k += 1) if (text[k] === '\n') line += 1;
  };
  const finish = (end: number) => {
    if (start < 0) return;
    statements.push({ sql: text.slice(start, end).trim(), line: startLine, directives });
    directives = [];
    start = -1;
  };
  const begin = () => {
    if (start < 0) {
      start = i;
      startLine = line;
    }
  };

  while (i < text.length) {
    const char = text[i] as string;
    const next = text[i + 1];
    if (char === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(char)) {
      i += 1;
    } else if (char === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      const directive = DIRECTIVE.exec(text.slice(i, stop));
      // A directive counts only between statements; inside one, it is an ordinary comment.
      if (directive && start < 0)
        directives.push({ key: (directive[1] as string).toLowerCase(), value: directive[2] as string, line });
      i = stop;
    } else if (char === '/' && next === '*') {
      const end = skipBlockComment(text, i, line);
      countNewlines(i, end);
      i = end;
    } else if (char === ';') {
      finish(i);
      i += 1;
    } else if (char === "'" || char === '"') {
      begin();
      const escapes = char === "'" && /[eE]/.test(text[i - 1] ?? '') && !IDENTIFIER_CHAR.test(text[i - 2] ?? '');
      const end = skipQuoted(text, i, char, escapes, line);
      countNewlines(i, end);
      i = end;
    } else if (char === '$' && !IDENTIFIER_CHAR.test(text[i - 1] ?? '') && DOLLAR_TAG.test(text.slice(i, i + 65))) {
      begin();
      const end = skipDollarQuoted(text, i, line);
      countNewlines(i, end);
      i = end;
    } else if (char === '\\') {
      throw new SqlSplitError(
        `psql meta-commands (\\${/^\\(\S*)/.exec(text.slice(i))?.[1] ?? ''}) are not supported: write plain SQL`,
        line,
      );
    } else {
      begin();
      i += 1;
    }
  }
  finish(text.length);
  return { statements: statements.filter((s) => s.sql !== ''), trailing: directives };
}

/** The index just past a block comment that opens at `open`; block comments nest, as in PostgreSQL. */
function skipBlockComment(text: string, open: number, line: number): number {
  let depth = 0;
  let k = open;
  while (k < text.length) {
    if (text[k] === '/' && text[k + 1] === '*') {
      depth += 1;
      k += 2;
    } else if (text[k] === '*' && text[k + 1] === '/') {
      depth -= 1;
      k += 2;
      if (depth === 0) return k;
    } else k += 1;
  }
  throw new SqlSplitError('this /* comment is never closed', line);
}

/** The index just past a dollar-quoted string whose opening tag starts at `open`. */
function skipDollarQuoted(text: string, open: number, line: number): number {
  const tag = (DOLLAR_TAG.exec(text.slice(open, open + 65)) as RegExpExecArray)[0];
  const close = text.indexOf(tag, open + tag.length);
  if (close < 0) throw new SqlSplitError(`this dollar-quoted string ${tag} is never closed`, line);
  return close + tag.length;
}

/** The index just past a quoted string or identifier that opens at `open`. */
function skipQuoted(text: string, open: number, quote: string, backslashEscapes: boolean, line: number): number {
  let k = open + 1;
  while (k < text.length) {
    const c = text[k];
    if (backslashEscapes && c === '\\') {
      k += 2;
    } else if (c === quote) {
      if (text[k + 1] === quote) k += 2;
      else return k + 1;
    } else k += 1;
  }
  const what = quote === "'" ? 'string' : 'quoted identifier';
  throw new SqlSplitError(`this ${what} opened with ${quote} is never closed`, line);
}
