/**
 * Token usage of one LLM call, as the provider reports it, in the one shape every module speaks
 * (the llm module reads it off the provider, credit prices it, orchestration adds up a turn).
 * `input` excludes cache tokens, as the provider counts them.
 */
export const TOKEN_KINDS = ['input', 'output', 'cacheRead', 'cacheWrite'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export type Usage = Record<TokenKind, number>;

export const zeroUsage = (): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });

export const addUsage = (a: Usage, b: Usage): Usage => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cacheRead: a.cacheRead + b.cacheRead,
  cacheWrite: a.cacheWrite + b.cacheWrite,
});

/**
 * The one validity rule: usage is complete when every count is a non-negative safe integer.
 * Anything else can't be charged — the caller fails closed (nothing kept, the hold released).
 */
export const isCompleteUsage = (u: Partial<Record<TokenKind, unknown>> | null | undefined): u is Usage =>
  !!u && TOKEN_KINDS.every((k) => Number.isSafeInteger(u[k]) && (u[k] as number) >= 0);
