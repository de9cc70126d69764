import { answerOf, ApiError } from './api';
import type { components } from './api-types.gen';

export type ConverseResponse = components['schemas']['ConverseResponseSchema'];

/**
 * A turn as server-sent events (docs/api.md "Streaming"): `onDelta` gets the reply as it arrives,
 * the promise the final ConverseResponse. A refusal before the turn starts is an ordinary JSON
 * error (thrown as ApiError by api()); `turn.failed` after the start is thrown the same way.
 */
export async function converseStreaming(path: string, body: unknown, idempotencyKey: string, onDelta: (text: string) => void): Promise<ConverseResponse> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError('The server could not be reached. Check your connection and try again.', 0, 'network_error');
  }
  // Not a stream: an error before the turn started (or a plain answer), in JSON.
  if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return answerOf<ConverseResponse>(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? 'null') as Record<string, unknown>;
      if (event === 'reply.delta') onDelta(String(data.text ?? ''));
      else if (event === 'turn.completed') return data as unknown as ConverseResponse;
      else if (event === 'turn.failed') throw new ApiError(String(data.message ?? 'The turn failed.'), Number(data.statusCode ?? 502), String(data.error ?? 'llm_error'), data);
    }
  }
  throw new ApiError('The reply stopped before the turn finished. Reload the conversation to see what was kept.', 502, 'stream_ended');
}
