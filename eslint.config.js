// ESLint (flat config) with typescript-eslint, type-aware so promise rules can see types.
// `npm run lint` runs this and `prettier --check`; formatting itself is prettier's job, so no
// stylistic rules here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // .scratch-*/: helpers' untracked repros, not part of the tree.
  { ignores: ["node_modules/", "dist/", "results/", "test/plots/golden/", ".scratch-*/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // STYLE: a function should fit on a screen; longer ones hide a second job.
      "max-lines-per-function": ["error", { max: 70, skipBlankLines: true, skipComments: true }],
      // A dropped promise in a simulator is a lost event or an unhandled rejection at exit.
      // node:test's test()/describe() return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] },
          ],
        },
      ],
      // `x!` after a bounds or map lookup is the codebase's deliberate idiom under
      // noUncheckedIndexedAccess: the hot paths index typed arrays and checked maps, and an
      // assertion per access would cost time and say nothing new.
      "@typescript-eslint/no-non-null-assertion": "off",
      // Deliberately unused parameters (a handler's full signature, `_`-prefixed) are documentation.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // Simulated processes are `async` by contract (the kernel awaits them) even when a body has
      // no await of its own.
      "@typescript-eslint/require-await": "off",
      // Template literals are used to build messages from numbers and ids; String() everywhere
      // would add noise without catching anything (objects are still flagged by no-base-to-string).
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
    },
  },
  {
    // Plain JS config and loader files have no types to check.
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
