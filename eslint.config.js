import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Keeps consistent-type-imports from turning DI constructor
        // parameter imports into type-only ones (decorator metadata needs them).
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // The README's snippets, built into throwaway apps by the consumer tests.
    files: ['test/consumers/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['src/features/inspector/public/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['test/fixtures/**/*.mjs', 'bench/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: { globals: globals.node },
    rules: { 'no-console': 'off' },
  },
);
