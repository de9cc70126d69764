/**
 * The input half of a hold's proven upper bound (DESIGN.md "Reservations"): a token covers at
 * least one byte of what is sent, so a request's input tokens are at most the UTF-8 bytes of
 * its system prompt and messages, plus a fixed allowance for the framing the provider adds
 * around the prompt and each message (role markers and separators that are not our bytes).
 * The output half is the max_tokens sent; the rates and rounding are applied by the ledger.
 */
export const FRAMING_TOKENS_PER_REQUEST = 32;
export const FRAMING_TOKENS_PER_MESSAGE = 8;

export interface BoundedMessage {
  content: string;
}

export function inputTokenBound(system: string, messages: readonly BoundedMessage[]): number {
  let bytes = Buffer.byteLength(system, 'utf8');
  for (const m of messages) bytes += Buffer.byteLength(m.content, 'utf8');
  return bytes + FRAMING_TOKENS_PER_REQUEST + FRAMING_TOKENS_PER_MESSAGE * messages.length;
}
