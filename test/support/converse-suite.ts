import { SystemConfigService } from '@loomworks/system-config';
import { FakeAnthropic } from './fake-anthropic';
import { TestContext } from './test-context';

/**
 * The world the converse specs share: the app against a fake Messages API (no retries, the given
 * timeout), the system key set, the ledger checked after every test. Registers the describe
 * block's hooks, so call it first in the block; `ctx` is set from the first beforeAll on.
 */
export function converseSuite(timeoutMs: number) {
  const suite = { fake: new FakeAnthropic(), ctx: undefined as unknown as TestContext };
  beforeAll(async () => {
    await suite.fake.start();
    suite.ctx = await TestContext.create({
      env: { ANTHROPIC_BASE_URL: suite.fake.url, ANTHROPIC_MAX_RETRIES: '0', ANTHROPIC_TIMEOUT_MS: String(timeoutMs) },
    });
    await suite.ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
  });
  afterEach(() => suite.ctx.expectLedgerConsistent());
  afterAll(async () => {
    await suite.ctx?.close();
    await suite.fake.stop();
  });
  return suite;
}
