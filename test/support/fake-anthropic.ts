import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  apiKey: string | undefined;
  model: string;
  system: string;
  messages: { role: string; content: string }[];
  maxTokens: number;
}

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** What the fake answers; every field may depend on the request. */
export interface FakeBehaviour {
  text: (req: FakeRequest) => string;
  usage: (req: FakeRequest) => FakeUsage;
  latencyMs: number;
  /** answer this HTTP status (with an Anthropic-style error body) instead of a message; per request when a function */
  failWith?: number | ((req: FakeRequest) => number | undefined);
  /** answer a message without its usage block (a provider that fails to report it) */
  omitUsage?: boolean;
  /** called once the answer has been written (e.g. to kill the server under test) */
  onAnswered?: (req: FakeRequest) => void;
}

const isClassifier = (req: FakeRequest) => req.system.startsWith("Classify the user's message");

export const defaultBehaviour = (): FakeBehaviour => ({
  text: (req) => (isClassifier(req) ? 'question' : `Echo: ${req.messages[req.messages.length - 1]?.content ?? ''}`),
  usage: (req) => (isClassifier(req) ? { input_tokens: 300, output_tokens: 2 } : { input_tokens: 1200, output_tokens: 340 }),
  latencyMs: 0,
});

/**
 * A local Anthropic Messages API (POST /v1/messages) over real HTTP, for tests and local runs:
 * configurable text, usage, latency and failures; it records every request it receives.
 */
export class FakeAnthropic {
  readonly requests: FakeRequest[] = [];
  behaviour: FakeBehaviour = defaultBehaviour();
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(behaviour: Partial<FakeBehaviour> = {}): void {
    this.requests.length = 0;
    this.behaviour = { ...defaultBehaviour(), ...behaviour };
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'not found' } }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const request: FakeRequest = {
      // The SDK sends the key as x-api-key or (newer versions) as a bearer token.
      apiKey: (req.headers['x-api-key'] as string | undefined) ?? req.headers.authorization?.replace(/^Bearer /, ''),
      model: body.model,
      system: typeof body.system === 'string' ? body.system : '',
      messages: body.messages,
      maxTokens: body.max_tokens,
    };
    this.requests.push(request);
    const b = this.behaviour;
    if (b.latencyMs > 0) await new Promise((r) => setTimeout(r, b.latencyMs));
    if (res.destroyed) return;
    const failWith = typeof b.failWith === 'function' ? b.failWith(request) : b.failWith;
    if (failWith) {
      res.writeHead(failWith, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'fake upstream failure' } }));
      return;
    }
    const usage = b.usage(request);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `msg_fake_${this.requests.length}`,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [{ type: 'text', text: b.text(request) }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        ...(!b.omitUsage && { usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage } }),
      }),
      () => b.onAnswered?.(request),
    );
  }
}
