// `npm run test:browser`: the pages driven in headless Chromium (Debian's `chromium` package,
// with a CDP virtual authenticator standing in for the passkey). Not part of `npm test`, whose
// machine may have no browser.
const base = require('./jest.config');

module.exports = { ...base, testMatch: ['<rootDir>/test/browser/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/'], testTimeout: 120_000 };
