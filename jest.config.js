/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/runtime/src'],
  testMatch: ['**/*.test.ts'],
  // Type-checking is its own step (`npm run typecheck`); ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  moduleNameMapper: { '^@bulwark/runtime$': '<rootDir>/runtime/src/index.ts' },
  testTimeout: 30000,
  maxWorkers: 2,
};
