import type { CliAction, CliCatalog, CliInput } from './catalog.js';
import { UsageError } from './usage-error.js';

/** Options of the command line itself, given before the action's name. */
export interface GlobalOptions {
  /** Show the action's debug lines (as RUNNER_DEBUG=1 does on a runner). */
  debug: boolean;
  /** Also write the action's outputs to this file, as a JSON object. */
  outputsFile?: string;
  /** Also write the job summary (markdown) to this file. */
  summaryFile?: string;
}

export type Command =
  | { kind: 'help'; asked: boolean }
  | { kind: 'version' }
  | { kind: 'action-help'; action: CliAction }
  | {
      kind: 'run';
      action: CliAction;
      inputs: Record<string, string>;
      fromEnvironment: string[];
      options: GlobalOptions;
    };

/** The environment variable an input may be given through, so that a secret stays out of argv and shell history. */
export function inputVariable(input: string): string {
  return `DR_ACTIONS_${input.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The closest of `names` to a mistyped one, when it is close enough to be what was meant. */
function closest(name: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i += 1) {
      const next = [i];
      for (let j = 1; j <= b.length; j += 1)
        next.push(
          Math.min(
            (row[j] as number) + 1,
            (next[j - 1] as number) + 1,
            (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
          ),
        );
      row = next;
    }
    return row[b.length] as number;
  };
  const ranked = names.map((candidate) => ({ candidate, d: distance(name, candidate) })).sort((x, y) => x.d - y.d);
  const best = ranked[0];
  return best && best.d <= Math.max(2, Math.floor(name.length / 4)) ? best.candidate : undefined;
}

const suggestion = (name: string, names: readonly string[], shown = (near: string) => near) => {
  const near = closest(name, names);
  return near ? ` Did you mean ${shown(near)}?` : '';
};

/** One `--name value` or `--name=value` at argv[i]: the name, the value and how many words it took. */
function flagAt(argv: readonly string[], i: number, what: string): { name: string; value: string; width: number } {
  const word = argv[i] as string;
  const eq = word.indexOf('=');
  if (eq !== -1) return { name: word.slice(2, eq), value: word.slice(eq + 1), width: 1 };
  const value = argv[i + 1];
  if (value === undefined) throw new UsageError(`${word} needs a value (${what}).`);
  return { name: word.slice(2), value, width: 2 };
}

function parseGlobals(argv: readonly string[]): {
  options: GlobalOptions;
  rest: string[];
  help: boolean;
  version: boolean;
} {
  const options: GlobalOptions = { debug: false };
  let help = false;
  let version = false;
  let i = 0;
  for (; i < argv.length && (argv[i] as string).startsWith('-'); i += 1) {
    const word = argv[i] as string;
    if (word === '-h' || word === '--help') help = true;
    else if (word === '--version') version = true;
    else if (word === '--debug') options.debug = true;
    else if (/^--(outputs|summary)(=|$)/.test(word)) {
      const flag = flagAt(argv, i, 'a file path');
      if (flag.name === 'outputs') options.outputsFile = flag.value;
      else options.summaryFile = flag.value;
      i += flag.width - 1;
    } else
      throw new UsageError(
        `unknown option ${word}. Options before the action: --help, --version, --debug, --outputs <file>, --summary <file>.`,
      );
  }
  return { options, rest: argv.slice(i), help, version };
}

function findAction(catalog: CliCatalog, name: string): CliAction {
  const action = catalog.actions.find((candidate) => candidate.name === name);
  if (action) return action;
  const names = catalog.actions.map((candidate) => candidate.name);
  throw new UsageError(`unknown action '${name}'.${suggestion(name, names)} Actions: ${names.join(', ')}.`);
}

/** The action's flags as given, each input at most once; `--help` anywhere asks for the action's help. */
function parseFlags(action: CliAction, argv: readonly string[]): Map<string, string> | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const names = action.inputs.map((input) => input.name);
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; ) {
    const word = argv[i] as string;
    if (!word.startsWith('--'))
      throw new UsageError(
        `unexpected '${word}': ${action.name} takes only --<input> <value> flags (see dr-actions ${action.name} --help).`,
      );
    const flag = flagAt(argv, i, `the value of the input ${word.replace(/=.*/, '').slice(2)}`);
    if (!names.includes(flag.name)) {
      throw new UsageError(
        `${action.name} has no input --${flag.name}.${suggestion(flag.name, names, (near) => `--${near}`)} Its inputs: ${names.map((name) => `--${name}`).join(', ')}.`,
      );
    }
    if (given.has(flag.name)) throw new UsageError(`--${flag.name} is given twice; give each input once.`);
    given.set(flag.name, flag.value);
    i += flag.width;
  }
  return given;
}

/**
 * An action.yml default as the runner evaluates it. The only expression our defaults use is
 * `${{ github.token }}`: outside GitHub, the token in GITHUB_TOKEN (empty without one).
 */
export function evaluateDefault(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) =>
    expression === 'github.token' ? (env.GITHUB_TOKEN ?? '') : '',
  );
}

/** Every input's value, as the runner would set it: the flag, else its DR_ACTIONS_ variable, else action.yml's default. */
function resolveInputs(
  action: CliAction,
  given: Map<string, string>,
  env: NodeJS.ProcessEnv,
): { inputs: Record<string, string>; fromEnvironment: string[] } {
  const inputs: Record<string, string> = {};
  const fromEnvironment: string[] = [];
  for (const input of action.inputs) {
    const variable = env[inputVariable(input.name)];
    if (given.has(input.name)) inputs[input.name] = given.get(input.name) as string;
    else if (variable !== undefined) {
      inputs[input.name] = variable;
      fromEnvironment.push(input.name);
    } else if (input.default !== undefined) inputs[input.name] = evaluateDefault(input.default, env);
  }
  const missing = action.inputs.filter((input: CliInput) => input.required && !inputs[input.name]);
  if (missing.length) {
    const list = missing.map((input) => `--${input.name}`).join(', ');
    throw new UsageError(
      `${action.name} needs ${list} (required; or set ${missing.map((input) => inputVariable(input.name)).join(', ')}). See dr-actions ${action.name} --help.`,
    );
  }
  return { inputs, fromEnvironment };
}

/** Reads the command line: `dr-actions [options] <action> --<input> <value> ...`. */
export function parseCommandLine(catalog: CliCatalog, argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const { options, rest, help, version } = parseGlobals(argv);
  if (version) return { kind: 'version' };
  const [name, ...flags] = rest;
  if (name === undefined) return { kind: 'help', asked: help };
  if (name === 'help')
    return flags[0] ? { kind: 'action-help', action: findAction(catalog, flags[0]) } : { kind: 'help', asked: true };
  const action = findAction(catalog, name);
  if (help) return { kind: 'action-help', action };
  const given = parseFlags(action, flags);
  if (given === 'help') return { kind: 'action-help', action };
  return { kind: 'run', action, ...resolveInputs(action, given, env), options };
}
