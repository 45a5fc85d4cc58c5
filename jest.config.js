const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type-checking is its own step (`npm run typecheck`); ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  // In this repository the packages resolve to their sources (tsconfig.json `paths`), as tsx does.
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  // A generous bound: tests that start real servers take minutes, not seconds, on a busy machine.
  testTimeout: 180_000,
  maxWorkers: 2,
};
