import type { Usage } from '../domain/usage';

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

/** One Messages-API call. Implementations throw LlmError for every upstream failure. */
export interface LlmClient {
  complete(request: LlmRequest): Promise<LlmAnswer>;
}
