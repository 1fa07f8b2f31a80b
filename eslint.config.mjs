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

// TEMPORARY, for the merge of issue #12's parallel branches: findings in files other branches were
// rewriting when the linter came in, so they were not fixed by hand here (that would only have
// conflicted). They are warnings until the coordinator fixes them after merging (`npx eslint . --fix`
// takes the consistent-type-imports ones); then this table goes. A file not listed here is held to
// every rule, and a new file is never listed.
const pendingAfterMerge = {
  'bench/lib/report.mjs': ['@typescript-eslint/no-unused-vars'],
  'bench/micro.ts': ['@typescript-eslint/no-floating-promises'],
  'src/config/defaults.ts': ['@typescript-eslint/no-unsafe-assignment'],
  'src/config/errors.ts': ['@typescript-eslint/consistent-type-imports'],
  'src/config/loader.ts': ['@typescript-eslint/no-explicit-any', '@typescript-eslint/unbound-method'],
  'src/config/source.ts': ['@typescript-eslint/consistent-type-imports', '@typescript-eslint/no-base-to-string'],
  'src/extension/commands.ts': ['@typescript-eslint/no-explicit-any'],
  'src/extension/gatekit-extension.ts': ['@typescript-eslint/no-unsafe-member-access'],
  'src/extension/main.ts': ['@typescript-eslint/no-unsafe-member-access'],
  'src/extension/settings.ts': ['@typescript-eslint/no-unsafe-return'],
  'src/gateway/gateway.ts': ['@typescript-eslint/no-base-to-string', '@typescript-eslint/no-this-alias', '@typescript-eslint/unbound-method'],
  'src/gateway/transport/ndjson.ts': ['@typescript-eslint/restrict-plus-operands'],
  'src/gateway/upstream.ts': ['preserve-caught-error'],
  'src/plugins/auditing/audit_jsonl.ts': ['@typescript-eslint/no-unsafe-argument'],
  'src/plugins/descriptors.ts': ['@typescript-eslint/no-explicit-any'],
  'src/plugins/middleware/call_trace.ts': ['@typescript-eslint/no-unsafe-assignment'],
  'src/plugins/pipeline.ts': ['@typescript-eslint/await-thenable', '@typescript-eslint/no-explicit-any', '@typescript-eslint/unbound-method'],
  'src/plugins/registry.ts': ['@typescript-eslint/consistent-type-imports', '@typescript-eslint/no-explicit-any', '@typescript-eslint/no-require-imports'],
  'src/plugins/security/detect/findings.ts': ['@typescript-eslint/unbound-method'],
  'src/plugins/security/pin-store.ts': ['preserve-caught-error'],
  'test/unit/plugins/auditing/audit-bench.ts': ['@typescript-eslint/await-thenable', '@typescript-eslint/no-explicit-any'],
  'test/unit/plugins/auditing/audit-pipeline.test.ts': ['@typescript-eslint/no-explicit-any'],
  'test/unit/plugins/auditing/audit_jsonl.test.ts': ['@typescript-eslint/no-explicit-any'],
  'test/unit/plugins/auditing/helpers.ts': ['@typescript-eslint/no-explicit-any'],
  'test/unit/plugins/security/evasion.test.ts': ['@typescript-eslint/no-redundant-type-constituents'],
  'test/unit/plugins/security/injection-startup.test.ts': ['@typescript-eslint/no-require-imports'],
  'test/vscode/helpers.ts': ['preserve-caught-error'],
  'test/vscode/settings.test.ts': ['@typescript-eslint/no-base-to-string'],
  'test/vscode/trust.restricted.test.ts': ['@typescript-eslint/no-base-to-string', 'preserve-caught-error'],
  'test/vscode/views.test.ts': ['@typescript-eslint/no-base-to-string'],
};

export default defineConfig(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'demo/**', 'media/**', 'docs/**'] },
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
  // A rule given only a severity keeps the options set above.
  ...Object.entries(pendingAfterMerge).map(([file, rules]) => ({
    files: [file],
    rules: Object.fromEntries(rules.map((rule) => [rule, 'warn'])),
  })),
);
