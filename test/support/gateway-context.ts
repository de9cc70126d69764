import Anthropic from '@anthropic-ai/sdk';
import type { DestinationStream } from 'pino';
import { ApiKeysService } from '@loomworks/gateway';
import type { FakeAnthropic } from './fake-anthropic';
import { TestContext } from './test-context';

/**
 * The Messages API specs' server: a TestContext on a real port (the official SDK is the client),
 * its provider the started `fake` without retries, and a way to make a funded person with an SDK
 * client on a key of theirs.
 */
export class GatewayContext {
  private constructor(
    readonly ctx: TestContext,
    readonly baseURL: string,
  ) {}

  /** `logStream`: the app's log lines at level info go there (else the tests' default level) */
  static async start(fake: FakeAnthropic, options: { logStream?: DestinationStream } = {}): Promise<GatewayContext> {
    await fake.start();
    const ctx = await TestContext.create({
      realClock: true,
      env: {
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_API_KEY: 'system-key',
        ANTHROPIC_MAX_RETRIES: '0',
        ANTHROPIC_TIMEOUT_MS: '20000',
        ...(options.logStream && { LOG_LEVEL: 'info' }),
      },
      logStream: options.logStream,
    });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    return new GatewayContext(ctx, `http://127.0.0.1:${(ctx.app.getHttpServer().address() as { port: number }).port}`);
  }

  /** A funded person and an SDK client with a key of theirs. */
  async member(amount = 1000n, asset = 'haiku') {
    const person = await this.ctx.fundedPerson(asset, amount);
    const { key, apiKey } = await this.ctx.get(ApiKeysService).create({ personId: person.id, name: 'sdk' });
    return { person, key, apiKeyId: apiKey.id, sdk: new Anthropic({ apiKey: key, baseURL: this.baseURL, maxRetries: 0 }) };
  }
}
