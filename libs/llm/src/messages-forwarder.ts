import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { LlmError } from './domain/errors';

const ANTHROPIC_API = 'https://api.anthropic.com';
const DEFAULT_VERSION = '2023-06-01';

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
 * never outlasts libs/config's worstCaseCallMs either. Connections are kept alive.
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
      const outgoing = send(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(request.body),
          'x-api-key': request.apiKey,
          'anthropic-version': request.anthropicVersion ?? DEFAULT_VERSION,
          // relayed as received: no compression to undo
          'accept-encoding': 'identity',
        },
      });
      // The whole exchange, body included: destroying the request ends a slow answer's stream with an error.
      const timer = setTimeout(() => outgoing.destroy(new Error('LLM timeout')), this.timeoutMs);
      outgoing.on('close', () => clearTimeout(timer));
      outgoing.on('error', () => reject(new LlmError()));
      outgoing.on('response', (body) => {
        body.on('close', () => clearTimeout(timer));
        resolve({ status: body.statusCode ?? 502, headers: body.headers, body });
      });
      outgoing.end(request.body);
    });
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }
}
