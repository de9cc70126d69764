import { StringDecoder } from 'node:string_decoder';
import { isCompleteUsage, type Usage } from '@loomworks/common';
import { usageOf, type ProviderUsage } from '@loomworks/llm';

const FIELDS = [
  ['input', 'input_tokens'],
  ['output', 'output_tokens'],
  ['cacheRead', 'cache_read_input_tokens'],
  ['cacheWrite', 'cache_creation_input_tokens'],
] as const;

/** How a relayed stream ended, for its settlement. */
export type StreamOutcome =
  | { status: 'ok'; usage: Usage }
  /** the final usage never came: `reported` is what message_start announced (null: nothing), `delivered` the text sent */
  | { status: 'interrupted'; reported: Usage | null; delivered: string };

/**
 * Reads a Messages API SSE stream as it is relayed (the bytes themselves pass on unchanged):
 * the usage message_start announces, the final counts of message_delta, whether message_stop
 * came, and the text delivered (text, tool input and thinking deltas) — what an interrupted
 * stream is charged for.
 */
export class StreamUsageReader {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private start: Partial<Usage> | null = null;
  /** message_start's usage as message_delta updates it */
  private current: Partial<Usage> = {};
  private finalCounts = false;
  private stopped = false;
  private delivered = '';

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    for (let end = this.pending.indexOf('\n\n'); end !== -1; end = this.pending.indexOf('\n\n')) {
      this.event(this.pending.slice(0, end));
      this.pending = this.pending.slice(end + 2);
    }
  }

  outcome(): StreamOutcome {
    if (this.stopped && this.finalCounts && isCompleteUsage(this.current)) return { status: 'ok', usage: this.current };
    return { status: 'interrupted', reported: isCompleteUsage(this.start) ? this.start : null, delivered: this.delivered };
  }

  private event(block: string): void {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .join('\n');
    if (data === '') return;
    let event: { type?: string; message?: { usage?: ProviderUsage }; usage?: ProviderUsage; delta?: Record<string, unknown> };
    try {
      event = JSON.parse(data);
    } catch {
      return; // not ours to judge: relayed as it came
    }
    switch (event.type) {
      case 'message_start':
        this.start = usageOf(event.message?.usage);
        this.current = { ...this.start };
        break;
      case 'content_block_delta': {
        const piece = event.delta?.text ?? event.delta?.partial_json ?? event.delta?.thinking;
        if (typeof piece === 'string') this.delivered += piece;
        break;
      }
      case 'message_delta':
        // Cumulative counts; a field left out keeps message_start's.
        for (const [field, key] of FIELDS) {
          const count = event.usage?.[key];
          if (typeof count === 'number') this.current[field] = count;
        }
        this.finalCounts ||= typeof event.usage?.output_tokens === 'number';
        break;
      case 'message_stop':
        this.stopped = true;
        break;
    }
  }
}
