import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { LlmError } from './domain/errors';

const ANTHROPIC_API = 'https://api.anthropic.com';
const DEFAULT_VERSION = '2023-06-01';
/** How a kept-alive connection the provider closed while idle fails the next request sent on it (Node: ECONNRESET, or EPIPE when the write hits the reset). */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

export interface ForwardedRequest {
  /** the key the provider bills (the system key) */
  apiKey: string;
  /** the Messages API request body, as the client sent it */
  body: string;
  /** the client's anthropic-version header (the API's behaviour depends on it), else the SDKs' default */
  anthropicVersion?: string;
}

/** The provider's answer as it arrives: status and headers, and its body still to be read. */
export interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/**
 * Forwards a Messages API request to the provider as it was sent, for pass-through surfaces
 * (the gateway's /v1/messages): no SDK between, so the answer — JSON or an SSE stream — can be
 * relayed byte for byte. One attempt (the client's SDK does its own retries), cut off after the
 * LLM timeout from the first byte sent to the last byte of the answer, so a forwarded call
 * never outlasts libs/config's worstCaseCallMs either. Connections are kept alive, so a request
 * may go out on one the provider is closing for idleness at that very moment (HTTP/1.1's
 * keep-alive race; on a CPU-starved machine 1-2 % of requests after a pause lost it, each a 502):
 * that request alone, reset before any byte of an answer, is sent once more on a new connection,
 * within the same timeout.
 */
@Injectable()
export class MessagesForwarder implements OnModuleDestroy {
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly agent: HttpAgent;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const base = config.anthropic.baseUrl ?? ANTHROPIC_API;
    this.url = new URL('v1/messages', base.endsWith('/') ? base : `${base}/`);
    this.timeoutMs = config.anthropic.timeoutMs;
    const options = { keepAlive: true, maxSockets: 256 };
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  }

  /** Resolves once the provider's status and headers arrived; rejects with LlmError when it can't be reached in time. */
  forward(request: ForwardedRequest): Promise<UpstreamAnswer> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let outgoing: ClientRequest;
      // The whole exchange, a resend and the body included: destroying the request ends a slow answer's stream with an error.
      const timer = setTimeout(() => outgoing.destroy(Object.assign(new Error('LLM timeout'), { code: 'timeout' })), this.timeoutMs);
      const attempt = (agent: HttpAgent | false) => {
        outgoing = send(this.url, {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(request.body),
            'x-api-key': request.apiKey,
            'anthropic-version': request.anthropicVersion ?? DEFAULT_VERSION,
            // relayed as received: no compression to undo
            'accept-encoding': 'identity',
          },
        });
        const sent = outgoing;
        let answered = false;
        sent.on('error', (error: NodeJS.ErrnoException) => {
          // 'error' before 'response': not a byte of an answer came. On a kept-alive connection
          // that is the provider closing it while idle as the request went out, which it then
          // never read (Node's documented case for request.reusedSocket) — sent again, once, on a
          // connection of its own, which no idle close can hit. The hold was placed once and is
          // settled once on the answer relayed, so the person is never charged twice; at worst a
          // provider that did read the first request and then dropped the connection bills us for
          // an answer nobody got (absorbed), as when the client's SDK retries our 502.
          if (agent && !answered && sent.reusedSocket && error.code && STALE_CONNECTION_CODES.has(error.code)) return attempt(false);
          clearTimeout(timer);
          reject(new LlmError(error.code ?? error.message));
        });
        sent.on('response', (body) => {
          answered = true;
          body.on('close', () => clearTimeout(timer));
          resolve({ status: body.statusCode ?? 502, headers: body.headers, body });
        });
        sent.end(request.body);
      };
      attempt(this.agent);
    });
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }
}
