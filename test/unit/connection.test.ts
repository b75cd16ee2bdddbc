import { libpqEnv, parseDatabaseUrl, secretsInDatabaseUrl, withDatabase } from '../../src/postgres/connection.js';
import { redact } from '../../src/util/redact.js';
import { splitWords } from '../../src/util/words.js';
import { TOOL_VERSION } from '../../src/version.js';
import { readFileSync } from 'node:fs';

describe('parseDatabaseUrl', () => {
  test('splits the password out of the URL libpq gets', () => {
    const target = parseDatabaseUrl(
      'postgresql://app%40corp:p%40ss%2Fw0rd@db.example.com:6432/saas%20prod?sslmode=require',
      'database-url',
    );
    expect(target).toMatchObject({
      user: 'app@corp',
      password: 'p@ss/w0rd',
      host: 'db.example.com',
      port: 6432,
      database: 'saas prod',
      display: 'app@corp@db.example.com:6432/saas prod',
    });
    expect(target.url).toBe('postgresql://app%40corp@db.example.com:6432/saas%20prod?sslmode=require');
    expect(libpqEnv(target).PGPASSWORD).toBe('p@ss/w0rd');
  });

  test('no password: libpq falls back to PGPASSWORD or .pgpass', () => {
    const target = parseDatabaseUrl('postgres://app@localhost/saas', 'x');
    expect(target.password).toBeUndefined();
    expect(libpqEnv(target).PGPASSWORD).toBeUndefined();
    expect(target.port).toBe(5432);
  });

  test('a ?password= parameter leaves the URL (and so argv) for PGPASSWORD, like a password in the userinfo', () => {
    const target = parseDatabaseUrl(
      'postgres://app@db.example.com/saas?sslmode=require&password=s%26cr%20et',
      'database-url',
    );
    expect(target.password).toBe('s&cr et');
    expect(target.url).toBe('postgres://app@db.example.com/saas?sslmode=require');
    expect(libpqEnv(target).PGPASSWORD).toBe('s&cr et');
    expect(parseDatabaseUrl('postgres://app:pw@h/saas?password=pw', 'x')).toMatchObject({
      password: 'pw',
      url: 'postgres://app@h/saas',
    });
    expect(() => parseDatabaseUrl('postgres://app:one@h/saas?password=two', 'database-url')).toThrow(
      'database-url gives two different passwords',
    );
  });

  test('secretsInDatabaseUrl finds every password form, raw and decoded, also in a URL that does not parse', () => {
    expect(secretsInDatabaseUrl('postgres://u:p%40ss@h/db?sslpassword=key%2Bpass&password=q+r').sort()).toEqual(
      ['key+pass', 'key%2Bpass', 'p%40ss', 'p@ss', 'q r', 'q+r'].sort(),
    );
    expect(secretsInDatabaseUrl('postgres://u:pw@h:notaport/db')).toEqual(['pw']);
    expect(secretsInDatabaseUrl('postgres://u@h/db')).toEqual([]);
  });

  test('withDatabase switches database and keeps the rest', () => {
    const target = withDatabase(parseDatabaseUrl('postgres://app:pw@h:5433/saas?sslmode=require', 'x'), 'postgres');
    expect(target).toMatchObject({ database: 'postgres', display: 'app@h:5433/postgres', password: 'pw' });
    expect(target.url).toBe('postgres://app@h:5433/postgres?sslmode=require');
  });
});

describe('splitWords', () => {
  test('shell-like quoting without a shell', () => {
    expect(splitWords(`a "b c" 'd "e"' f\\ g "" $X`, 'x')).toEqual(['a', 'b c', 'd "e"', 'f g', '', '$X']);
    expect(splitWords('  ', 'x')).toEqual([]);
  });
  test('a lone trailing backslash is an error', () =>
    expect(() => splitWords('a \\', 'smoke-command')).toThrow('smoke-command ends with a lone backslash'));
});

describe('redact', () => {
  test('masks a secret and its URL-encoded form', () => {
    expect(redact('pw=p@ss/1 url=postgres://u:p%40ss%2F1@h', ['p@ss/1'])).toBe('pw=*** url=postgres://u:***@h');
  });
});

test('TOOL_VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(TOOL_VERSION).toBe(pkg.version);
});
