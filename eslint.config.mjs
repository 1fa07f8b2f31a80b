// ESLint for the whole tree (src/, test/, bench/, scripts/), run by `npm test` through `npm run lint`.
//
// What is on, and why (issue #12, "A linter"):
// - @eslint/js recommended everywhere, except no-control-regex: the detectors and log/list sanitisers
//   match control characters on purpose (every finding of it was such a character class).
// - typescript-eslint recommendedTypeChecked on TypeScript. It carries the three rules the issue asks
//   for by name: no-floating-promises (the house style: never float a promise; `void` marks a
//   deliberate fire-and-forget), no-unused-vars, and, added here, consistent-type-imports. Its
//   no-unsafe-* rules stay on for src/, where every value from a server, client or config is hostile
//   and an `any` lets it through unchecked.
// - Turned off where they drowned the signal, each measured on the tree when the linter came in:
//   no-unnecessary-type-assertion (413 findings, all `x[i]!` on indexed access: tsconfig has no
//   noUncheckedIndexedAccess, so TypeScript already pretends the element exists and the `!` is the
//   author saying it checked; turning that option on would make every one of them necessary again),
//   no-namespace (the house style keeps typed control messages and guards as namespaces, as
//   vscode-languageserver-node does), require-await (an async function without await is how a
//   callback meets a Promise-returning signature and how a synchronous throw becomes a rejection).
// - Tests, benchmarks and scripts parse JSON they wrote themselves and assert on its shape, so the
//   no-unsafe-* family is off there (a wrong guess fails the assertion at run time anyway).
// - JavaScript files (.mjs/.cjs) are linted with types inferred by TypeScript (no checkJs): enough for
//   no-floating-promises and no-misused-promises, but every parameter is `any`, so the rules that
//   judge `any` are off for them.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// The globals of the Node that runs ESLint are the globals of the Node that runs our scripts.
const nodeGlobals = Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly']));

const rulesJudgingAny = {
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default defineConfig(
  { ignores: ['dist/**', 'packages/*/dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'demo/**', 'media/**', 'docs/**'] },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      globals: nodeGlobals,
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    rules: {
      'no-control-regex': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrorsIgnorePattern: '^_',
        destructuredArrayIgnorePattern: '^_',
        ignoreRestSiblings: true,
      }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['test/**', 'bench/**', 'scripts/**'], rules: rulesJudgingAny },
  {
    files: ['**/*.mjs', '**/*.cjs'],
    rules: {
      ...rulesJudgingAny,
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  // Functions this script hands to Playwright's page.evaluate run in VS Code's window, not in Node.
  { files: ['scripts/vscode/drive.mjs'], languageOptions: { globals: { document: 'readonly' } } },
);
