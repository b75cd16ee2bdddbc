/** The command line's reading of flags against an action's inputs, as the runner applies action.yml. */
import { describe, expect, test } from '@jest/globals';
import { parseCommandLine } from '../../src/cli/arguments.js';
import type { CliCatalog } from '../../src/cli/catalog.js';

const catalog: CliCatalog = {
  version: '1.2.3',
  actions: [
    {
      name: 'report',
      description: 'Writes a report.',
      inputs: [
        { name: 'bucket', description: 'The bucket.', required: true },
        { name: 'prefix', description: 'The prefix.', required: false, default: 'database/' },
        { name: 'github-token', description: 'A token.', required: false, default: '${{ github.token }}' },
        { name: 'note', description: 'No default.', required: false },
      ],
      outputs: [],
      run: async () => undefined,
    },
  ],
};

const inputsOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const command = parseCommandLine(catalog, argv, env);
  if (command.kind !== 'run') throw new Error(`not a run: ${command.kind}`);
  return command;
};

describe('flags to inputs', () => {
  test('defaults as the runner applies them: set when not given, an explicit empty value kept, no default left unset; github.token from GITHUB_TOKEN', () => {
    expect(inputsOf(['report', '--bucket', 'b']).inputs).toEqual({
      bucket: 'b',
      prefix: 'database/',
      'github-token': '',
    });
    expect(inputsOf(['report', '--bucket=b', '--prefix='], { GITHUB_TOKEN: 'ghs_x' }).inputs).toEqual({
      bucket: 'b',
      prefix: '',
      'github-token': 'ghs_x',
    });
    expect(inputsOf(['report', '--bucket', 'b', '--note', '--a value that starts with dashes']).inputs.note).toBe(
      '--a value that starts with dashes',
    );
  });

  test('an input from its DR_ACTIONS_ variable, named as such; a flag wins over it', () => {
    const fromEnv = inputsOf(['report'], { DR_ACTIONS_BUCKET: 'env-bucket', DR_ACTIONS_GITHUB_TOKEN: 't' });
    expect(fromEnv.inputs).toMatchObject({ bucket: 'env-bucket', 'github-token': 't' });
    expect(fromEnv.fromEnvironment).toEqual(['bucket', 'github-token']);
    expect(inputsOf(['report', '--bucket', 'flag'], { DR_ACTIONS_BUCKET: 'env' }).inputs.bucket).toBe('flag');
  });

  test('global options before the action; help and version', () => {
    expect(inputsOf(['--debug', '--outputs', 'o.json', '--summary=s.md', 'report', '--bucket', 'b']).options).toEqual({
      debug: true,
      outputsFile: 'o.json',
      summaryFile: 's.md',
    });
    expect(parseCommandLine(catalog, ['--version'], {})).toEqual({ kind: 'version' });
    expect(parseCommandLine(catalog, ['help', 'report'], {}).kind).toBe('action-help');
    expect(parseCommandLine(catalog, ['report', '--bucket', 'b', '--help'], {}).kind).toBe('action-help');
    expect(parseCommandLine(catalog, [], {})).toEqual({ kind: 'help', asked: false });
  });

  test.each([
    [['report', '--bucket', 'b', '--bucket', 'c'], '--bucket is given twice; give each input once.'],
    [['report', '--bucket', 'b', 'stray'], "unexpected 'stray': report takes only --<input> <value> flags"],
    [
      ['report', '--buckte', 'b'],
      'report has no input --buckte. Did you mean --bucket? Its inputs: --bucket, --prefix, --github-token, --note.',
    ],
    [['report'], 'report needs --bucket (required; or set DR_ACTIONS_BUCKET).'],
    [['report', '--bucket', ''], 'report needs --bucket'],
    [
      ['--verbose', 'report'],
      'unknown option --verbose. Options before the action: --help, --version, --debug, --outputs <file>, --summary <file>.',
    ],
    [['reprot'], "unknown action 'reprot'. Did you mean report? Actions: report."],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCommandLine(catalog, argv, {})).toThrow(message);
  });
});
