import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  apiKey: string | undefined;
  model: string;
  system: string;
  messages: { role: string; content: string }[];
  maxTokens: number;
  /** the request asked for a server-sent event stream */
  stream: boolean;
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
  /** answer a message without its usage block (a provider that fails to report it); streamed: no usage at start or end */
  omitUsage?: boolean | ((req: FakeRequest) => boolean);
  /** streamed: the message_delta carries no usage (the start's input counts are all there is) */
  omitFinalUsage?: boolean;
  /** with failWith: a Retry-After header (seconds, as the provider sends it) */
  retryAfter?: string;
  /** streamed: characters per content_block_delta, and the pause before each */
  chunkChars: number;
  chunkDelayMs: number;
  /** streamed: cut the connection after this many text deltas (before the final usage) */
  dropAfterChunks?: number;
  /**
   * close the connection as a request arrives, unanswered: on a kept-alive connection ('reused': one
   * that already carried a request) as a provider's idle timeout closes it just as the next request
   * goes out on it, or on every connection ('all')
   */
  dropConnection?: 'reused' | 'all';
  /** called once the answer has been written (e.g. to kill the server under test) */
  onAnswered?: (req: FakeRequest) => void;
  /** streamed: called after each text delta is written (e.g. to abort the client mid-stream) */
  onChunk?: (req: FakeRequest, index: number) => void;
}

const isClassifier = (req: FakeRequest) => req.system.startsWith("Classify the user's message");

export const defaultBehaviour = (): FakeBehaviour => ({
  text: (req) => (isClassifier(req) ? 'question' : `Echo: ${req.messages[req.messages.length - 1]?.content ?? ''}`),
  usage: (req) => (isClassifier(req) ? { input_tokens: 300, output_tokens: 2 } : { input_tokens: 1200, output_tokens: 340 }),
  latencyMs: 0,
  chunkChars: 8,
  chunkDelayMs: 0,
});

/**
 * A local Anthropic Messages API (POST /v1/messages) over real HTTP, for tests and local runs:
 * configurable text, usage, latency and failures (with Retry-After), whole or streamed as the
 * provider streams (message_start, content_block_delta …, message_delta with usage, message_stop),
 * with controls to slow, cut or strip the usage from a stream; it records every request it receives.
 */
export class FakeAnthropic {
  readonly requests: FakeRequest[] = [];
  /** requests whose connection was closed unanswered (dropConnection) */
  dropped = 0;
  /** requests each connection has carried */
  private readonly carried = new WeakMap<Socket, number>();
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
    this.dropped = 0;
    this.behaviour = { ...defaultBehaviour(), ...behaviour };
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const carried = (this.carried.get(req.socket) ?? 0) + 1;
    this.carried.set(req.socket, carried);
    const drop = this.behaviour.dropConnection;
    if (drop === 'all' || (drop === 'reused' && carried > 1)) {
      this.dropped++;
      req.socket.destroy();
      return;
    }
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
      stream: body.stream === true,
    };
    this.requests.push(request);
    const b = this.behaviour;
    if (b.latencyMs > 0) await new Promise((r) => setTimeout(r, b.latencyMs));
    if (res.destroyed) return;
    const failWith = typeof b.failWith === 'function' ? b.failWith(request) : b.failWith;
    if (failWith) {
      res.writeHead(failWith, { 'content-type': 'application/json', ...(b.retryAfter !== undefined && { 'retry-after': b.retryAfter }) })
        .end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'fake upstream failure' } }));
      return;
    }
    const usage = b.usage(request);
    const omitUsage = typeof b.omitUsage === 'function' ? b.omitUsage(request) : b.omitUsage === true;
    if (request.stream) return this.stream(request, res, omitUsage ? undefined : usage);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `msg_fake_${this.requests.length}`,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [{ type: 'text', text: b.text(request) }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        ...(!omitUsage && { usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage } }),
      }),
      () => b.onAnswered?.(request),
    );
  }

  private async stream(request: FakeRequest, res: import('node:http').ServerResponse, usage: FakeUsage | undefined): Promise<void> {
    const b = this.behaviour;
    const full = usage && { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage };
    const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // The opening and closing events leave in one write each, as a provider's often share a packet.
    res.cork();
    send('message_start', {
      message: {
        id: `msg_fake_${this.requests.length}`, type: 'message', role: 'assistant', model: request.model, content: [], stop_reason: null, stop_sequence: null,
        ...(full && { usage: { ...full, output_tokens: 1 } }),
      },
    });
    send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    send('ping', {});
    res.uncork();
    const chars = Array.from(b.text(request));
    const chunks: string[] = [];
    for (let i = 0; i < chars.length; i += b.chunkChars) chunks.push(chars.slice(i, i + b.chunkChars).join(''));
    for (const [i, chunk] of chunks.slice(0, b.dropAfterChunks).entries()) {
      if (b.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, b.chunkDelayMs));
      if (res.destroyed) return;
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: chunk } });
      b.onChunk?.(request, i);
    }
    if (b.dropAfterChunks !== undefined) {
      // the provider's connection breaks mid-answer, before its final usage
      await new Promise((r) => setTimeout(r, 10));
      res.socket?.destroy();
      return;
    }
    res.cork();
    send('content_block_stop', { index: 0 });
    send('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, ...(full && !b.omitFinalUsage && { usage: full }) });
    send('message_stop', {});
    // uncork before end: Node 24 ends a corked response without flushing what was corked
    res.uncork();
    res.end(() => b.onAnswered?.(request));
  }
}
