// Unit specs sit beside their code; integration and e2e suites live in test/.
// One embedded Postgres per run (globalSetup); each test file clones a migrated template database.
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias}(.*)$`,
    `<rootDir>/${target}$1`,
  ]),
);

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // Browser suites need Chromium, which a fresh machine lacks: `npm run test:browser` runs them.
  // Infra suites start their own clusters and need PgBouncer: `npm run test:infra` runs them.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/', '<rootDir>/test/infra/'],
  transform: {
    // .js only for the ESM-only dependencies listed in transformIgnorePatterns.
    '^.+\\.(ts|js)$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // These dependencies ship ESM only (content-disposition under @fastify/static; @scure and
  // @noble under otplib); jest needs CommonJS.
  transformIgnorePatterns: ['^(?!.*/node_modules/(content-disposition|@scure/base|@noble/hashes|@noble/curves)/).*/node_modules/'],
  moduleNameMapper,
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 30000,
  maxWorkers: 2,
};
