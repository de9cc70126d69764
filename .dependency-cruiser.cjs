// Module boundaries of DESIGN.md ("Modules"), checked by `npm run lint` (so by `npm test`).
// A violation prints the rule's name, e.g. `error direction-credit: libs/credit/src/x.ts → libs/auth/src/index.ts`.

// What each module may import (besides itself). DESIGN.md's order, top to bottom:
// apps → admin, operations, notifications, orchestration, gateway → auth → credit → persons →
// outbox → system-config → database, with llm beside credit (orchestration, gateway and admin use
// it; it uses persons and below; credit and llm never import each other); config and common are
// the foundation every module may use. Skipping levels downward is fine; the top modules don't
// import each other except admin → notifications (webhook management), admin → operations
// (reconciliation view) and admin → gateway (staff list and revoke persons' API keys, audited in
// admin's transaction).
const FOUNDATION = ['config', 'common'];
const below = (...modules) => [...modules, ...FOUNDATION];
const CORE = below('auth', 'credit', 'persons', 'outbox', 'system-config', 'database');
const MAY_IMPORT = {
  admin: [...CORE, 'llm', 'notifications', 'operations', 'gateway'],
  operations: CORE,
  notifications: CORE,
  orchestration: [...CORE, 'llm'],
  gateway: [...CORE, 'llm'],
  auth: below('credit', 'persons', 'outbox', 'system-config', 'database'),
  credit: below('persons', 'outbox', 'system-config', 'database'),
  llm: below('persons', 'outbox', 'system-config', 'database'),
  persons: below('outbox', 'system-config', 'database'),
  outbox: below('system-config', 'database'),
  'system-config': below('database'),
  database: below(),
  config: ['common'],
  common: [],
};

const ALL = Object.keys(MAY_IMPORT);
const alternatives = (modules) => `(${modules.join('|')})`;

const directionRules = Object.entries(MAY_IMPORT).map(([module, allowed]) => {
  const forbidden = ALL.filter((m) => m !== module && !allowed.includes(m));
  return {
    name: `direction-${module}`,
    comment: `${module} may import only ${allowed.join(', ') || 'nothing of ours'} (DESIGN.md: dependency direction)`,
    severity: 'error',
    from: { path: `^libs/${module}/` },
    to: { path: forbidden.length ? [`^libs/${alternatives(forbidden)}/`, '^apps/'] : '^apps/' },
  };
});

module.exports = {
  forbidden: [
    ...directionRules,
    {
      name: 'only-through-index',
      comment:
        "Another module is reachable only through its public entry (libs/<module>/src/index.ts, alias @loomworks/<module>; " +
        'credit also has staff/index.ts for staff surfaces and testing/index.ts for test doubles). Test suites under test/ may reach internals.',
      severity: 'error',
      from: { path: '^(libs/([^/]+)/|apps/|migrations/|bench/|ormconfig)' },
      to: {
        path: '^libs/[^/]+/src/',
        pathNot: ['^libs/$2/', '^libs/[^/]+/src/index\\.ts$', '^libs/credit/src/(staff|testing)/index\\.ts$'],
      },
    },
    {
      name: 'credit-seam-only',
      comment:
        'auth, orchestration and gateway reach credit only through CREDIT_SEAM and its plain types (@loomworks/credit), ' +
        'never its staff services or test doubles (DESIGN.md: The CreditSeam).',
      severity: 'error',
      from: { path: '^libs/(auth|orchestration|gateway)/' },
      to: { path: '^libs/credit/src/(staff|testing)/' },
    },
    {
      name: 'migrations-self-contained',
      comment:
        'A migration means the same thing forever, so it imports no app code (DESIGN.md "System config"): ' +
        'a later refactor of a library must never change what an old migration does.',
      severity: 'error',
      from: { path: '^migrations/' },
      to: { path: '^(libs|apps)/' },
    },
    {
      name: 'typeorm-in-persistence',
      comment:
        "TypeORM stays in a module's persistence/ (STYLE.md practice 6): services ask repositories, which answer " +
        'domain types. Also allowed: the database module, *.module.ts (TypeOrmModule.forFeature), and the two ' +
        "files that reach the connection pool rather than tables (auth's throttle store, operations' pool gauges).",
      severity: 'error',
      from: {
        path: '^libs/',
        pathNot: [
          '^libs/[^/]+/src/persistence/',
          '^libs/database/',
          '\\.module\\.ts$',
          '\\.spec\\.ts$',
          '^libs/auth/src/login-throttle\\.ts$',
          '^libs/operations/src/database-gauges\\.ts$',
        ],
      },
      to: { path: 'node_modules/(typeorm|@nestjs/typeorm)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes load order fragile and hides which side owns what.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-test',
      comment: 'Production code never imports test suites or their support.',
      severity: 'error',
      from: { path: '^(libs|apps|migrations)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
