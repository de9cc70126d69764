import type { Usage } from '@loomworks/common';

/** The provider's usage block as the Messages API answers it (in a message, or a stream's message_start / message_delta). */
export type ProviderUsage = Partial<Record<'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens', number | null>>;

/** The provider's usage block in our shape; absent cache counts are zero, absent input/output stay absent (incomplete). */
export function usageOf(u: ProviderUsage | null | undefined): Partial<Usage> {
  return {
    input: u?.input_tokens ?? undefined,
    output: u?.output_tokens ?? undefined,
    cacheRead: u?.cache_read_input_tokens ?? 0,
    cacheWrite: u?.cache_creation_input_tokens ?? 0,
  };
}
