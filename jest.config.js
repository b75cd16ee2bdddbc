/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // src is a root too so that `--coverage` counts the files no test loads (at 0%), not only the loaded ones.
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // Sources import siblings as './x.js' (NodeNext); jest resolves the .ts file.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: { isolatedModules: true } }],
  },
  // Integration tests share one PostgreSQL cluster and one moto server; two workers match the machine.
  maxWorkers: 2,
  testTimeout: 120_000,
  // `npm run test:coverage`. The bundled actions that end-to-end tests run in child processes are not
  // counted (src/actions/* shows 0%): the figure is that of the domain code the tests call in-process.
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  // So that coverage can only go up. A floor for now: what the version tests, backup.test and
  // backup-inputs alone reach (23.5 / 16.6 / 17.6 / 24.7 %, 2026-11-29), which the whole suite
  // exceeds; raise it to a point under the whole suite's figure once `npm run test:coverage` has run in full.
  coverageThreshold: { global: { statements: 23, branches: 16, functions: 17, lines: 24 } },
};
