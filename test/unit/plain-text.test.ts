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
