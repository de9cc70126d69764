import type { Usage } from '@loomworks/common';

/** Injection token of the LLM client; tests bind a fake or point the real one at a fake server. */
export const LLM_CLIENT = Symbol('LLM_CLIENT');

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  apiKey: string;
  model: string;
  system: string;
  messages: LlmMessage[];
  maxTokens: number;
}

export interface LlmAnswer {
  text: string;
  usage: Usage;
}

/**
 * How a streamed call ended. `ok`: the provider finished and reported its usage in full.
 * `interrupted`: text may have arrived but the final usage never did (the stream broke, timed
 * out or ended without it); `reported` is the usage the provider announced when the stream
 * started (its input side), or null when it announced none.
 */
export type LlmStreamResult =
  | { status: 'ok'; text: string; usage: Usage }
  | { status: 'interrupted'; text: string; reported: Usage | null };

/**
 * One Messages-API call, whole or streamed. Every wait inside is capped by the client's settings
 * (libs/config worstCaseCallMs). Implementations throw LlmError when the provider failed before
 * any of the answer arrived (after the retries they are allowed), or answered whole without usage.
 */
export interface LlmClient {
  complete(request: LlmRequest): Promise<LlmAnswer>;
  /** Calls `onText` with each text delta as it arrives and answers once the provider's stream has ended. */
  stream(request: LlmRequest, onText: (text: string) => void): Promise<LlmStreamResult>;
}
