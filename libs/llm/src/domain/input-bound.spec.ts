import {
  FRAMING_TOKENS_PER_BLOCK,
  FRAMING_TOKENS_PER_MESSAGE,
  FRAMING_TOKENS_PER_REQUEST,
  messagesInputBound,
  TOOL_USE_PROMPT_TOKENS,
  type MessagesInput,
} from './input-bound';

const tokens = (request: MessagesInput) => {
  const bound = messagesInputBound(request);
  if (!('inputTokens' in bound)) throw new Error(`refused: ${bound.refused}`);
  return bound.inputTokens;
};
const refused = (request: MessagesInput) => {
  const bound = messagesInputBound(request);
  return 'refused' in bound ? bound.refused : undefined;
};

describe('messagesInputBound', () => {
  it('counts UTF-8 bytes of the system prompt and message texts plus framing', () => {
    expect(tokens({ system: 'héllo', messages: [{ role: 'user', content: '日本' }] })).toBe(6 + 6 + FRAMING_TOKENS_PER_REQUEST + FRAMING_TOKENS_PER_MESSAGE);
    expect(tokens({ messages: [] })).toBe(FRAMING_TOKENS_PER_REQUEST);
  });

  it('counts text blocks (system and messages) with a per-block allowance', () => {
    const request: MessagesInput = {
      system: [{ type: 'text', text: 'abc', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'de' }, { type: 'text', text: 'f' }] }],
    };
    expect(tokens(request)).toBe(3 + 3 + FRAMING_TOKENS_PER_REQUEST + FRAMING_TOKENS_PER_MESSAGE + 3 * FRAMING_TOKENS_PER_BLOCK);
  });

  it('counts tool calls, tool results and tool definitions as their JSON bytes, over the strings they carry', () => {
    const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { city: 'Zürich', n: 3 } };
    const toolResult = { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny "and" warm' }] };
    const tool = { name: 'lookup', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };
    const request: MessagesInput = {
      messages: [
        { role: 'assistant', content: [toolUse] },
        { role: 'user', content: [toolResult] },
      ],
      tools: [tool],
      tool_choice: { type: 'auto' },
    };
    const json = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
    expect(tokens(request)).toBe(
      FRAMING_TOKENS_PER_REQUEST +
        2 * FRAMING_TOKENS_PER_MESSAGE +
        json(toolUse) + json(toolResult) + 2 * FRAMING_TOKENS_PER_BLOCK +
        TOOL_USE_PROMPT_TOKENS + json(tool) + FRAMING_TOKENS_PER_BLOCK +
        json({ type: 'auto' }),
    );
    // every string the parts carry is inside the count
    expect(json(toolResult)).toBeGreaterThan(Buffer.byteLength('sunny "and" warm'));
  });

  it('refuses what its bytes cannot bound: images, documents, server tools, non-text tool results', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };
    expect(refused({ messages: [{ role: 'user', content: [image] }] })).toMatch(/image/);
    expect(refused({ messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] })).toMatch(/document/);
    expect(refused({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [image] }] }] })).toMatch(/tool_result/);
    expect(refused({ messages: [], tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toMatch(/web_search_20250305/);
    expect(refused({ system: [{ type: 'image' }], messages: [] })).toMatch(/system/);
    expect(refused({ system: 42, messages: [] })).toMatch(/system/);
    expect(refused({ messages: [{ role: 'user', content: 7 }] })).toMatch(/messages\.0/);
    expect(refused({ messages: [], tools: 'x' })).toMatch(/tools/);
  });

  it('accepts custom tools with or without their type', () => {
    expect(refused({ messages: [], tools: [{ type: 'custom', name: 'a', input_schema: {} }, { name: 'b', input_schema: {} }] })).toBeUndefined();
  });
});
