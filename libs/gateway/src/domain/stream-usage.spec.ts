import { StreamUsageReader } from './stream-usage';

const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const START = sse('message_start', { message: { id: 'm', usage: { input_tokens: 120, output_tokens: 1, cache_read_input_tokens: 5 } } });
const DELTAS = [
  sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hé' } }),
  sse('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"a"' } }),
  sse('content_block_stop', { index: 0 }),
];
const END = sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }) + sse('message_stop', {});

/** Feeds `text` in chunks of `size` bytes (cutting events and UTF-8 characters anywhere). */
function read(text: string, size: number) {
  const reader = new StreamUsageReader();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
  return reader.outcome();
}

describe('StreamUsageReader', () => {
  it.each([1, 7, 1000])('reads the final usage of a whole stream, in chunks of %i bytes', (size) => {
    expect(read(START + DELTAS.join('') + END, size)).toEqual({ status: 'ok', usage: { input: 120, output: 42, cacheRead: 5, cacheWrite: 0 } });
  });

  it('takes the counts message_delta reports over message_start’s', () => {
    const end = sse('message_delta', { usage: { input_tokens: 130, output_tokens: 9, cache_creation_input_tokens: 3 } }) + sse('message_stop', {});
    expect(read(START + end, 50)).toEqual({ status: 'ok', usage: { input: 130, output: 9, cacheRead: 5, cacheWrite: 3 } });
  });

  it('calls a stream without message_stop or without final counts interrupted, with the text delivered', () => {
    expect(read(START + DELTAS.join(''), 5)).toEqual({ status: 'interrupted', reported: { input: 120, output: 1, cacheRead: 5, cacheWrite: 0 }, delivered: 'Hé{"a"' });
    expect(read(START + sse('message_stop', {}), 5)).toMatchObject({ status: 'interrupted' });
    expect(read(DELTAS.join(''), 5)).toEqual({ status: 'interrupted', reported: null, delivered: 'Hé{"a"' });
  });
});
