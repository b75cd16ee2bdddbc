/**
 * No function in src/, the harness, the scripts or the benchmarks is longer than 80 lines, so
 * each can be read on one screen. A function's
 * length is the lines the source shows it on, from its first line (the doc comment above it not
 * counted) to its closing brace, blank and comment lines included. Every kind counts on its own:
 * declarations, methods, constructors, accessors, function expressions and arrow functions, also
 * when nested in another (whose lines include them).
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { root } from './sources.js';

const MAX_LINES = 80;

interface FunctionLength {
  /** Where the function starts: src/x.ts:12. */
  at: string;
  name: string;
  lines: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** What a reader calls the function: its own name, else that of the variable, property or class member holding it. */
function nameOf(node: ts.SignatureDeclaration, source: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(source);
  const holder = node.parent;
  if (
    (ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder) || ts.isPropertyDeclaration(holder)) &&
    holder.initializer === node
  )
    return holder.name.getText(source);
  return '(anonymous function)';
}

/** Every function with a body in `text`, with its length in lines (`file`: the path to name it by). */
function functionLengths(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ at: `${file}:${first + 1}`, name: nameOf(node, source), lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const tooLong = (lengths: readonly FunctionLength[]) =>
  lengths.filter((f) => f.lines > MAX_LINES).map((f) => `${f.at} ${f.name} is ${f.lines} lines long`);

/** The folders held to the length, each with a function it must hold (so that an empty reading cannot pass). */
const MEASURED: [folder: string, holds: string][] = [
  ['src', 'runBackup'],
  ['harness', 'startStack'],
  ['scripts', 'runSteps'],
  ['bench', 'preparePhysicalRestore'],
];

describe.each(MEASURED)('functions in %s/ stay short', (folder, holds) => {
  const files = sourceFiles(join(root, folder));
  const lengths = files.flatMap((path) =>
    functionLengths(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8')),
  );

  test('there are functions to measure', () => {
    expect(lengths.map((f) => f.name)).toContain(holds);
  });

  test(`no function is over ${MAX_LINES} lines: split a longer one into named steps that each do one thing`, () => {
    expect(tooLong(lengths)).toEqual([]);
  });
});

test('src/ holds hundreds of functions to measure', () => {
  const files = sourceFiles(join(root, 'src'));
  expect(files.flatMap((path) => functionLengths(path, readFileSync(path, 'utf8'))).length).toBeGreaterThan(500);
});

describe('the length check finds what it is for (so its passing means something)', () => {
  const lines = (count: number) => Array.from({ length: count }, (_, i) => `  step${i}();`).join('\n');

  test('a function of 81 lines is named with its file, line and length; one of 80 passes', () => {
    // The signature on 3 lines, 77 statements and the closing brace make 81; 1 + 78 + 1 make 80.
    const text = `/** Docs do not count. */\nexport async function long(\n  a: number,\n): Promise<void> {\n${lines(77)}\n}\n\nfunction fits(): void {\n${lines(78)}\n}\n`;
    expect(tooLong(functionLengths('src/x.ts', text))).toEqual(['src/x.ts:2 long is 81 lines long']);
  });

  test('methods, constructors, arrow functions and function expressions are measured, each by its own name; nested ones on their own', () => {
    const text = [
      'class Store {',
      `  constructor() {\n${lines(1)}\n  }`,
      `  put(): void {\n${lines(2)}\n  }`,
      '}',
      `const handler = async () => {\n${lines(3)}\n};`,
      `const table = { parse: function () {\n${lines(4)}\n} };`,
      `function outer() {\n  const inner = () => {\n${lines(5)}\n  };\n}`,
      `[1].map((n) => {\n${lines(6)}\n});`,
    ].join('\n');
    expect(functionLengths('src/x.ts', text).map((f) => [f.name, f.lines])).toEqual([
      ['constructor', 3],
      ['put', 4],
      ['handler', 5],
      ['parse', 6],
      ['outer', 9],
      ['inner', 7],
      ['(anonymous function)', 8],
    ]);
  });
});
