/**
 * Jest in native ESM mode (Nest 12 ships ESM only). ts-jest compiles with the
 * full TypeScript program so decorator metadata (used by Nest's DI) is emitted.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // Throwaway apps' package files, installed into temp dirs by the consumer tests.
  modulePathIgnorePatterns: ['<rootDir>/test/consumers/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30000,
};
