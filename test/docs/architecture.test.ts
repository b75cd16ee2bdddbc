/**
 * The map in docs/architecture.md, checked on every import. Between the top-level folders: src/
 * imports none of the others, the harness only src/, scripts and benchmarks the harness and src/,
 * tests anything. In src/: layers only reach down, domain folders never reach each other, no two
 * files or folders import each other (directly or round a loop), and only the action entry points
 * touch @actions/core.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { root } from './sources.js';

interface Layer {
  name: string;
  /** Folders under src/, or files directly in src/. */
  members: string[];
  /** Whether members of this layer may import each other (never round a loop). */
  sideways: boolean;
}

/** Top to bottom. A new folder is one more name in one of these lists. */
const LAYERS: Layer[] = [
  { name: 'bundle entries', members: ['entrypoints', 'cli'], sideways: false },
  { name: 'action entry points', members: ['actions'], sideways: false },
  {
    name: 'domain',
    members: ['backup', 'restore', 'failover', 'drill-report', 'rds-restore', 'audit', 'recover-database'],
    sideways: false,
  },
  {
    name: 'building blocks',
    members: ['storage', 'postgres', 'aws', 'report', 'github', 'checks', 'retention'],
    sideways: true,
  },
  { name: 'foundation', members: ['util', 'errors.ts', 'version.ts'], sideways: true },
];

/** The only files that may import these packages. */
const RESTRICTED_PACKAGES: Record<string, (file: string) => boolean> = {
  '@actions/core': (file) => /^src\/actions\/[^/]+\.ts$/.test(file),
};

/**
 * The top-level folders that hold code, each with the folders it may import besides itself: the
 * product imports nothing of the code that tests, drills or measures it.
 */
const TOP_LEVEL: Record<string, readonly string[]> = {
  src: [],
  harness: ['src'],
  scripts: ['harness', 'src'],
  bench: ['harness', 'src'],
  test: ['harness', 'scripts', 'bench', 'src'],
};

const SRC = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const rel = (path: string) => relative(root, path).split('\\').join('/');

interface Import {
  from: string;
  /** A src/ file for relative imports, the package name otherwise. */
  to: string;
  local: boolean;
}

/** Every static, type-only, re-export and dynamic import of a file (`text`: its contents). */
function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) return { from: rel(file), to: fileName, local: false };
    return { from: rel(file), to: rel(resolve(dirname(file), fileName.replace(/\.js$/, '.ts'))), local: true };
  });
}

/** The doc's "What each folder owns" table: each folder or root file of src/, with the layer its row names. */
function documentedLayers(doc: string): Map<string, string> {
  return new Map(
    [...doc.matchAll(/^\| ([a-z ]+) \| `src\/([^`/]+)\/?` \|/gm)].map((m) => [m[2] as string, m[1] as string]),
  );
}

/** The doc's table of top-level folders: each folder with the folders its "May import" cell names. */
function documentedTopLevel(doc: string): Map<string, string[]> {
  const rows = [...doc.matchAll(/^\| `([a-z]+)\/` \|[^\n]*\| ([^|\n]*) \|$/gm)];
  return new Map(
    rows.map((m) => [m[1] as string, [...(m[2] as string).matchAll(/`([a-z]+)\/`/g)].map((f) => f[1] as string)]),
  );
}

/** The top-level folder a file (relative to the root) is in: harness/stack.ts -> harness. */
const topLevelOf = (file: string) => file.split('/')[0] as string;

/** What is wrong with an import between top-level folders, or nothing. */
function topLevelProblem(imp: Import): string | undefined {
  const [from, to] = [topLevelOf(imp.from), topLevelOf(imp.to)];
  if (from === to) return undefined;
  const allowed = TOP_LEVEL[from];
  if (!allowed) return `${imp.from} is in ${from}/, which has no place in the table of top-level folders`;
  if (!allowed.includes(to))
    return `${imp.from} imports ${imp.to}: ${from}/ may import ${allowed.length ? allowed.map((f) => `${f}/`).join(', ') : 'nothing outside itself'}, not ${to}/`;
  return undefined;
}

/** The folder (or root file) of src/ a file belongs to: src/restore/x.ts -> restore, src/errors.ts -> errors.ts. */
function memberOf(file: string): string {
  return file.replace(/^src\//, '').split('/')[0] as string;
}

function layerIndex(member: string): number {
  return LAYERS.findIndex((layer) => layer.members.includes(member));
}

/** What is wrong with one import, or nothing. */
function layeringProblem(imp: Import): string | undefined {
  const fromMember = memberOf(imp.from);
  const toMember = memberOf(imp.to);
  if (fromMember === toMember) return undefined;
  const fromLayer = layerIndex(fromMember);
  const toLayer = layerIndex(toMember);
  if (toLayer < fromLayer)
    return `${imp.from} imports ${imp.to}: ${LAYERS[fromLayer]?.name} (${fromMember}) reaches up to ${LAYERS[toLayer]?.name} (${toMember})`;
  if (toLayer === fromLayer && !LAYERS[fromLayer]?.sideways)
    return `${imp.from} imports ${imp.to}: ${fromMember} reaches sideways into ${toMember}, another ${LAYERS[fromLayer]?.name} folder`;
  return undefined;
}

/** Each loop in a directed graph, as the path that closes it (a -> b -> a). */
function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at !== -1) {
      found.push([...path.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    for (const next of [...(edges.get(node) ?? [])].sort()) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of [...edges.keys()].sort()) visit(node, []);
  return found;
}

function graph(imports: readonly Import[], key: (file: string) => string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const imp of imports) {
    const [from, to] = [key(imp.from), key(imp.to)];
    if (from === to) continue;
    edges.set(from, (edges.get(from) ?? new Set()).add(to));
  }
  return edges;
}

const files = sourceFiles(SRC).map(rel).sort();
const imports = files.flatMap((file) => importsOf(join(root, file)));
const local = imports.filter((imp) => imp.local);
const everyFile = Object.keys(TOP_LEVEL)
  .flatMap((folder) => sourceFiles(join(root, folder)).map(rel))
  .sort();
const everyImport = everyFile.flatMap((file) => importsOf(join(root, file)));
const everyLocal = everyImport.filter((imp) => imp.local);

describe('the map in docs/architecture.md holds between the top-level folders', () => {
  test('every top-level folder with TypeScript in it has a place in the table', () => {
    const hasTypeScript = (dir: string): boolean =>
      readdirSync(dir, { withFileTypes: true }).some((e) =>
        e.isDirectory() ? e.name !== 'node_modules' && hasTypeScript(join(dir, e.name)) : /(?<!\.d)\.ts$/.test(e.name),
      );
    const folders = readdirSync(root, { withFileTypes: true }).filter(
      (e) => e.isDirectory() && !['node_modules', 'coverage'].includes(e.name) && !e.name.startsWith('.'),
    );
    const unplaced = folders
      .map((e) => e.name)
      .filter((name) => !(name in TOP_LEVEL) && hasTypeScript(join(root, name)));
    expect(unplaced).toEqual([]);
    for (const folder of Object.keys(TOP_LEVEL))
      expect([folder, everyFile.some((f) => topLevelOf(f) === folder)]).toEqual([folder, true]);
  });

  test("docs/architecture.md's table of top-level folders names what each may import, as the table here does", () => {
    const documented = documentedTopLevel(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));
    expect(Object.fromEntries([...documented].map(([folder, may]) => [folder, [...may].sort()]))).toEqual(
      Object.fromEntries(Object.entries(TOP_LEVEL).map(([folder, may]) => [folder, [...may].sort()])),
    );
  });

  test('every relative import names a file that exists', () => {
    expect(
      everyLocal
        .filter((imp) => !existsSync(join(root, imp.to)))
        .map((imp) => `${imp.from} imports ${imp.to}, which does not exist`),
    ).toEqual([]);
  });

  test('no file imports a top-level folder its own may not: src/ none, the harness only src/, scripts and benchmarks not each other', () => {
    expect(everyLocal.map(topLevelProblem).filter(Boolean)).toEqual([]);
  });

  test('no two files of the harness, the scripts or the benchmarks import each other, directly or round a loop', () => {
    const tools = everyLocal.filter((imp) => ['harness', 'scripts', 'bench'].includes(topLevelOf(imp.from)));
    expect(cycles(graph(tools, (file) => file)).map((loop) => loop.join(' -> '))).toEqual([]);
  });
});

describe('the map in docs/architecture.md holds for src/', () => {
  test('there are sources and imports to check', () => {
    expect(files).toContain('src/actions/backup.ts');
    expect(local.length).toBeGreaterThan(100);
  });

  test('every folder of src/ has a place in the layer table', () => {
    const unplaced = [...new Set(files.map(memberOf))].filter((member) => layerIndex(member) === -1);
    expect(unplaced).toEqual([]);
  });

  test('docs/architecture.md has a row for each folder of the layer table, and its rows group them as the table does', () => {
    const documented = documentedLayers(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));
    expect([...documented.keys()].sort()).toEqual(LAYERS.flatMap((layer) => layer.members).sort());
    const docLayers = LAYERS.map((layer) => [...new Set(layer.members.map((member) => documented.get(member)))]);
    expect(docLayers.every((names) => names.length === 1)).toBe(true);
    expect(new Set(docLayers.flat()).size).toBe(LAYERS.length);
  });

  test('every relative import names a file that exists', () => {
    expect(
      local
        .filter((imp) => !files.includes(imp.to))
        .map((imp) => `${imp.from} imports ${imp.to}, which is not a source file`),
    ).toEqual([]);
  });

  test('no folder reaches up a layer, and no domain folder reaches into another', () => {
    const problems = local.map(layeringProblem).filter(Boolean);
    expect(problems).toEqual([]);
  });

  test('no two files import each other, directly or round a loop', () => {
    expect(cycles(graph(local, (file) => file)).map((loop) => loop.join(' -> '))).toEqual([]);
  });

  test('no two folders import each other, directly or round a loop', () => {
    const loops = cycles(graph(local, memberOf)).map((loop) => {
      const links = loop
        .slice(1)
        .map((to, i) => local.find((imp) => memberOf(imp.from) === loop[i] && memberOf(imp.to) === to));
      return links.map((imp) => `${imp?.from} imports ${imp?.to}`).join('; ');
    });
    expect(loops).toEqual([]);
  });

  test.each(Object.keys(RESTRICTED_PACKAGES))('only the files allowed to import %s do, in src/ or out of it', (pkg) => {
    const allowed = RESTRICTED_PACKAGES[pkg] as (file: string) => boolean;
    const offenders = everyImport.filter(
      (imp) => !imp.local && (imp.to === pkg || imp.to.startsWith(`${pkg}/`)) && !allowed(imp.from),
    );
    expect(offenders.map((imp) => `${imp.from} imports ${imp.to}`)).toEqual([]);
  });
});

describe('the checks find what they are for (so their passing means something)', () => {
  const imp = (from: string, to: string): Import => ({ from, to, local: true });

  test('an upward and a sideways import are named with both files; a sibling and a downward one pass', () => {
    expect(layeringProblem(imp('src/storage/keys.ts', 'src/backup/inputs.ts'))).toBe(
      'src/storage/keys.ts imports src/backup/inputs.ts: building blocks (storage) reaches up to domain (backup)',
    );
    expect(layeringProblem(imp('src/util/format.ts', 'src/actions/runtime.ts'))).toMatch(
      /reaches up to action entry points/,
    );
    expect(layeringProblem(imp('src/restore/download.ts', 'src/backup/digest-gate.ts'))).toBe(
      'src/restore/download.ts imports src/backup/digest-gate.ts: restore reaches sideways into backup, another domain folder',
    );
    expect(layeringProblem(imp('src/failover/promote.ts', 'src/failover/preflight.ts'))).toBeUndefined();
    expect(layeringProblem(imp('src/backup/run-backup.ts', 'src/storage/keys.ts'))).toBeUndefined();
    expect(layeringProblem(imp('src/util/inputs.ts', 'src/errors.ts'))).toBeUndefined();
  });

  test('an import a top-level folder may not make is named with both files and what it may import; an allowed one passes', () => {
    expect(topLevelProblem(imp('src/backup/run-backup.ts', 'harness/stack.ts'))).toBe(
      'src/backup/run-backup.ts imports harness/stack.ts: src/ may import nothing outside itself, not harness/',
    );
    expect(topLevelProblem(imp('harness/moto.ts', 'test/helpers/s3.ts'))).toBe(
      'harness/moto.ts imports test/helpers/s3.ts: harness/ may import src/, not test/',
    );
    expect(topLevelProblem(imp('bench/run.ts', 'scripts/drill/settings.ts'))).toMatch(
      /bench\/ may import harness\/, src\/, not scripts\/$/,
    );
    expect(topLevelProblem(imp('tools/x.ts', 'src/errors.ts'))).toMatch(/tools\/, which has no place/);
    expect(topLevelProblem(imp('scripts/drill.ts', 'harness/stack.ts'))).toBeUndefined();
    expect(topLevelProblem(imp('test/backup/race.test.ts', 'scripts/drill/settings.ts'))).toBeUndefined();
    expect(topLevelProblem(imp('harness/stack.ts', 'harness/moto.ts'))).toBeUndefined();
  });

  test("the doc's table of top-level folders is read with what each may import", () => {
    const doc =
      '| Folder | Holds | May import |\n| --- | --- | --- |\n| `src/` | the product | nothing |\n| `scripts/` | npm run drill | `harness/`, `src/` |\n';
    expect(documentedTopLevel(doc)).toEqual(
      new Map([
        ['src', []],
        ['scripts', ['harness', 'src']],
      ]),
    );
  });

  test('a loop is found however long it is, and an acyclic graph has none', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cycles(edges)).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      cycles(
        new Map([
          ['a', new Set(['b', 'c'])],
          ['b', new Set(['c'])],
        ]),
      ),
    ).toEqual([]);
  });

  test('every kind of import is read: multi-line, type-only, re-export, dynamic, side effect; relative ones as src/ files', () => {
    const text =
      "import {\n  a,\n} from './a.js';\nimport type { B } from '../b.js';\nexport { c } from './c.js';\nconst d = await import('./d.js');\nimport './e.js';\nimport * as core from '@actions/core';\n";
    expect(importsOf(join(SRC, 'restore', 'x.ts'), text).map((i) => [i.to, i.local])).toEqual([
      ['src/restore/a.ts', true],
      ['src/b.ts', true],
      ['src/restore/c.ts', true],
      ['src/restore/d.ts', true],
      ['src/restore/e.ts', true],
      ['@actions/core', false],
    ]);
  });

  test("the doc's folder table is read with each row's layer", () => {
    const doc =
      '| Layer | Folder | Owns |\n| --- | --- | --- |\n| domain | `src/backup/` | x |\n| building blocks | `src/aws/` | y |\n| foundation | `src/errors.ts` | z |\n';
    expect(documentedLayers(doc)).toEqual(
      new Map([
        ['backup', 'domain'],
        ['aws', 'building blocks'],
        ['errors.ts', 'foundation'],
      ]),
    );
  });
});
