import { inputVariable } from './arguments.js';
import type { CliAction, CliCatalog } from './catalog.js';

const WIDTH = 100;

/** Words wrapped to lines of at most `width` characters, each starting with `indent`. */
export function wrap(text: string, indent: string, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The first sentence of a description, for one-line lists. */
function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}

export function globalHelp(catalog: CliCatalog): string {
  const width = Math.max(...catalog.actions.map((action) => action.name.length));
  return [
    `dr-actions ${catalog.version}: the disaster-recovery actions from a shell, for the day GitHub is down.`,
    '',
    'Usage: dr-actions [options] <action> --<input> <value> ...',
    "       dr-actions <action> --help      the action's inputs, required ones and defaults",
    '',
    'Actions:',
    ...catalog.actions.flatMap((action) => {
      const [first, ...rest] = wrap(firstSentence(action.description), ' '.repeat(width + 4));
      return [`  ${action.name.padEnd(width)}  ${(first ?? '').trimStart()}`, ...rest];
    }),
    '',
    'Options (before the action):',
    '  --help             this help',
    '  --version          the version of this tool',
    "  --debug            also show the action's debug lines",
    "  --outputs <file>   also write the action's outputs to <file> as a JSON object",
    '  --summary <file>   also write the job summary to <file> as markdown',
    '',
    'Each input is a flag (--name value or --name=value), else the environment variable',
    'DR_ACTIONS_<NAME> (e.g. DR_ACTIONS_DATABASE_URL: keeps a password out of argv and shell history),',
    "else the default of the action's action.yml. AWS credentials come from the default chain",
    "(AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, CloudShell's own, an instance role).",
    '',
    'Exit status: 0 the action succeeded, 1 it failed, 2 the command line was wrong and nothing ran.',
  ].join('\n');
}

export function actionHelp(action: CliAction): string {
  const inputs = action.inputs.flatMap((input) => {
    const facts = input.required ? 'required' : input.default ? `default: ${input.default}` : 'optional';
    return [
      `  --${input.name} <value>   (${facts}; env ${inputVariable(input.name)})`,
      ...wrap(input.description, '      '),
      '',
    ];
  });
  const outputs = action.outputs.flatMap((output) => wrap(`${output.name}: ${output.description}`, '  '));
  return [
    `Usage: dr-actions ${action.name} --<input> <value> ...`,
    '',
    ...wrap(action.description, ''),
    '',
    'Inputs:',
    ...inputs,
    'Outputs (printed at the end; --outputs <file> before the action writes them as JSON):',
    ...outputs,
  ].join('\n');
}
