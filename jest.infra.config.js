// `npm run test:infra`: the deployment past one machine (issue 24) on real servers — failover to a
// synchronous standby, a streaming read replica (both from the embedded PostgreSQL binaries) and
// PgBouncer in transaction mode (Debian's `pgbouncer`). Not part of `npm test`: they start their
// own clusters and need the pooler package; CI runs them (.ci/run).
const base = require('./jest.config');

module.exports = { ...base, testMatch: ['<rootDir>/test/infra/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/'], testTimeout: 300_000, maxWorkers: 1 };
