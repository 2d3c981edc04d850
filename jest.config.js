/**
 * Jest in native ESM mode (Nest 12 ships ESM only). tsconfig.json sets
 * `isolatedModules`, so ts-jest transpiles each file on its own (decorator
 * metadata for Nest's DI is still emitted) and does not type-check: the type
 * check, `@ts-expect-error` lines included, is `npm run typecheck`, which
 * `npm test` runs before Jest.
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
