import { jest } from '@jest/globals';
import { printPlainText } from '../../src/actions/runtime.js';
import { obeyedCommands } from '../helpers/workflow-commands.js';

function printed(message: string): string {
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    printPlainText(message);
  } finally {
    write.mockRestore();
  }
  return written.join('');
}

test('text without a command line is printed as it is', () => {
  expect(printed('restored 12 tables; a::b is not a command')).toBe('restored 12 tables; a::b is not a command\n');
});

test('text from a database that holds command lines is shown in full and obeyed in none of them', () => {
  const rows =
    'smoke command output:\nalice\n  ::add-mask::alice\n::error::forged\n::stop-commands::mine\n::set-output name=passed::true';
  const output = printed(rows);
  expect(output).toContain(rows);
  expect(obeyedCommands(output)).toEqual([]);
  // Without the markers the same text would be obeyed: the check above can fail.
  expect(obeyedCommands(`${rows}\n`)).toEqual(['::add-mask::alice', '::error::forged']);
});

test.each([
  ['a carriage return', 'orders\r::error::forged'],
  ['U+0085 (NEXT LINE), which the runner trims as whitespace', 'orders\n\u0085::error::forged'],
  ['the older ##[command] form, obeyed anywhere in a line', 'orders ##[error]forged'],
])('a name from the database that hides a command behind %s is shown and not obeyed', (_what, name) => {
  const output = printed(`table ${name} has 3 rows`);
  expect(output).toContain(name);
  expect(obeyedCommands(output)).toEqual([]);
  // The runner reads the same text without the markers as a command: the check above can fail.
  expect(obeyedCommands(`table ${name} has 3 rows\n`)).toEqual(['::error::forged has 3 rows']);
});
