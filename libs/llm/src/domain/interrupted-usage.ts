import type { Usage } from '@loomworks/common';

/**
 * What a call whose stream broke before its final usage is charged (DESIGN.md "Streaming"): the
 * input the provider reported when the stream started, and for output the UTF-8 bytes of the text
 * delivered (a token covers at least one byte, so that is an upper bound of what was delivered).
 * Both are capped by the call's own bound — its input bound and the max_tokens sent — so the
 * charge never exceeds the hold that bound sized.
 */
export function interruptedUsage(reported: Usage, deliveredText: string, bound: { inputTokens: number; maxTokens: number }): Usage {
  let room = bound.inputTokens;
  const take = (tokens: number) => {
    const taken = Math.min(tokens, room);
    room -= taken;
    return taken;
  };
  const input = take(reported.input);
  const cacheWrite = take(reported.cacheWrite);
  const cacheRead = take(reported.cacheRead);
  return { input, output: Math.min(Buffer.byteLength(deliveredText, 'utf8'), bound.maxTokens), cacheRead, cacheWrite };
}
