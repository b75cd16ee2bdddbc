/**
 * The one place programs are started: under `setpriv --pdeathsig SIGKILL` where setpriv is on PATH,
 * which execs the program, so that its exit status, the signal that ended it and a program that
 * cannot be found are reported as they were without it. What a killed action leaves running is
 * tested end to end (test/restore-verify/killed-run-programs.test.ts).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { childProcessesNote, parentDeathTool, spawnProgram, tiedToAction } from '../../src/util/child-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-child-process-'));
  await writeFile(join(dir, 'tool'), '#!/bin/sh\nexit 0\n');
  await chmod(join(dir, 'tool'), 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const SETPRIV = '/usr/bin/setpriv';

describe('the command line', () => {
  test('a program on the PATH it will be run with: setpriv sets the signal and execs it, its arguments as they were', () => {
    expect(tiedToAction('tool', ['--dbname=x y', '-c', "it's"], { env: { PATH: dir } }, SETPRIV)).toEqual({
      file: SETPRIV,
      args: ['--pdeathsig', 'SIGKILL', '--', 'tool', '--dbname=x y', '-c', "it's"],
    });
  });

  test('a path, absolute or relative to the folder it runs in', () => {
    expect(tiedToAction(join(dir, 'tool'), [], {}, SETPRIV).file).toBe(SETPRIV);
    expect(tiedToAction('./tool', [], { cwd: dir }, SETPRIV).file).toBe(SETPRIV);
  });

  test('a program that cannot be found is started as it is, so that it fails to start as it always did', () => {
    expect(tiedToAction('tool', ['a'], { env: { PATH: '/nonexistent' } }, SETPRIV)).toEqual({
      file: 'tool',
      args: ['a'],
    });
    expect(tiedToAction('./missing', [], { cwd: dir }, SETPRIV).file).toBe('./missing');
  });

  test('without setpriv: the program as it is', () => {
    expect(tiedToAction('tool', ['a'], { env: { PATH: dir } }, null)).toEqual({ file: 'tool', args: ['a'] });
  });
});

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: error.code }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

describe('on this machine (setpriv on PATH)', () => {
  test('setpriv is found and takes --pdeathsig', () => {
    expect(parentDeathTool()).toMatch(/\/setpriv$/);
    expect(childProcessesNote()).toContain('--pdeathsig SIGKILL');
  });

  test('the exit status, the signal that ended the program and its pid are its own', async () => {
    const env = { PATH: process.env.PATH ?? '' };
    expect(await exitOf(spawnProgram('sh', ['-c', 'exit 3'], { env, stdio: 'ignore' }))).toEqual({
      code: 3,
      signal: null,
    });
    expect(await exitOf(spawnProgram('sh', ['-c', 'kill -TERM $$'], { env, stdio: 'ignore' }))).toEqual({
      code: null,
      signal: 'SIGTERM',
    });
    let output = '';
    const child = spawnProgram('sh', ['-c', 'echo $$'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    expect(Number(output.trim())).toBe(child.pid);
  });

  test('a program that cannot be found fails to start with ENOENT', async () => {
    expect(await exitOf(spawnProgram(join(dir, 'missing'), [], { stdio: 'ignore' }))).toEqual({
      code: null,
      signal: null,
      error: 'ENOENT',
    });
  });
});
