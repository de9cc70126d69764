import { InvalidMessagesRequestError } from './errors';
import { parseMessagesRequest } from './messages-request';

const base = { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
const refusal = (body: unknown) => {
  try {
    parseMessagesRequest(body);
  } catch (error) {
    if (error instanceof InvalidMessagesRequestError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('parseMessagesRequest', () => {
  it('accepts every field DESIGN lists, with the content the bound covers, and keeps the body as sent', () => {
    const body = {
      ...base,
      system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'look it up', signature: 'sig' },
            { type: 'redacted_thinking', data: 'ZW5jcnlwdGVk' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '3°C' }], is_error: false }] },
      ],
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'u-1' },
      tools: [{ name: 'weather', description: 'current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'tool', name: 'weather', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 32 },
      stream: true,
    };
    expect(parseMessagesRequest(body)).toEqual({ model: base.model, maxTokens: 64, stream: true, body });
    expect(parseMessagesRequest(base)).toMatchObject({ stream: false });
  });

  it.each([
    ['an image', { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }] }, /^messages\.0\.content\.0\.type: content of this type can't be bounded/],
    ['a document', { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'x', media_type: 'text/plain' } }] }] }, /^messages\.0\.content\.0\.type: content/],
    ['an image inside a tool result', { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: {} }] }] }] }, /^messages\.0\.content\.0\.content\.0\.type: content/],
    ['a server tool', { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /^tools\.0\.type: server and Anthropic-defined tools/],
    ['an Anthropic-defined tool', { ...base, tools: [{ type: 'bash_20250124', name: 'bash' }] }, /^tools\.0\.type: server/],
    ['an unknown field', { ...base, container: 'c' }, /^container: Extra inputs are not permitted/],
    ['an unknown block field', { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', source: 'y' }] }] }, /^messages\.0\.content\.0\.source: Extra/],
    ['no model', { ...base, model: undefined }, /^model: /],
    ['max_tokens 0', { ...base, max_tokens: 0 }, /^max_tokens: must be an integer/],
    ['max_tokens 1.5', { ...base, max_tokens: 1.5 }, /^max_tokens: /],
    ['no messages', { ...base, messages: [] }, /^messages: must be a non-empty list/],
    ['a bad role', { ...base, messages: [{ role: 'system', content: 'x' }] }, /^messages\.0\.role: /],
    ['temperature 2', { ...base, temperature: 2 }, /^temperature: /],
    ['a string stream', { ...base, stream: 'yes' }, /^stream: must be a boolean/],
    ['a tool choice without its name', { ...base, tool_choice: { type: 'tool' } }, /^tool_choice\.name: /],
    ['thinking without a budget', { ...base, thinking: { type: 'enabled' } }, /^thinking\.budget_tokens: /],
    ['a list body', [base], /^body: must be a JSON object/],
  ])('refuses %s with a message naming the field', (_what, body, pattern) => {
    expect(refusal(body)).toMatch(pattern);
  });
});
