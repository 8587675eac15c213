/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is the build's (`npm test` builds first: tsc over src, test and the rest, then the dashboard's
    // types); ts-jest only transpiles, keeping decorator metadata.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // The longest suites first, also on a fresh clone (test/support/sequencer.js).
  testSequencer: '<rootDir>/test/support/sequencer.js',
  testTimeout: 30000,
  // Three workers on the two-core machine: the suites spend a quarter of their time waiting (processes,
  // sockets, databases), so a third keeps the cores busy (measured on a clean clone: 7 min 42 s against
  // 9 min 53 s with two, every suite green in both; the suites wait for conditions, never for fixed times).
  maxWorkers: 3,
};
