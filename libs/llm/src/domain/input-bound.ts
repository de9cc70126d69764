/**
 * The input half of a hold's proven upper bound (DESIGN.md "Reservations", "The Messages API"):
 * a token covers at least one byte of what is sent, so a Messages request's input tokens are at
 * most the UTF-8 bytes of everything it sends — system prompt, message texts, tool definitions,
 * tool inputs and results — plus fixed allowances for what the provider adds around them (role
 * markers and separators, and the tool-use instructions it prepends when tools are offered).
 * The output half is the max_tokens sent; rates and rounding are applied by the ledger.
 *
 * Structured parts (tool calls, tool results, tool definitions, thinking blocks) are counted as
 * the bytes of their JSON encoding: it contains every string of the part (JSON escaping only
 * lengthens a string) plus keys and punctuation, so it over-counts, never under-counts.
 * Content whose tokens don't follow from its bytes (images, documents, server tools that fetch
 * more input on the provider's side) can't be bounded: the request is refused.
 */
export const FRAMING_TOKENS_PER_REQUEST = 32;
export const FRAMING_TOKENS_PER_MESSAGE = 8;
export const FRAMING_TOKENS_PER_BLOCK = 8;
/** The provider's tool-use system prompt: published as 313–530 tokens depending on model and tool_choice; twice the largest, rounded up. */
export const TOOL_USE_PROMPT_TOKENS = 1_100;

/** A Messages API request as far as its input is concerned: untrusted JSON is fine, every part is checked. */
export interface MessagesInput {
  system?: unknown;
  messages: readonly { role?: unknown; content: unknown }[];
  tools?: unknown;
  tool_choice?: unknown;
}

export type InputBound = { inputTokens: number } | { refused: string };

/** Parts of a message whose JSON encoding bounds their tokens. */
const STRUCTURED_PARTS = new Set(['tool_use', 'tool_result', 'thinking', 'redacted_thinking']);

class Unbounded extends Error {}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
const jsonBytes = (value: unknown) => utf8(JSON.stringify(value) ?? '');
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A text block's bytes; anything else in a place that takes only text can't be bounded. */
function textBlockBytes(block: unknown, where: string): number {
  if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') {
    throw new Unbounded(`${where}: content of type "${isObject(block) ? String(block.type) : typeof block}" can't be bounded`);
  }
  return utf8(block.text) + FRAMING_TOKENS_PER_BLOCK;
}

function toolResultContentIsText(content: unknown): boolean {
  return content === undefined || typeof content === 'string' || (Array.isArray(content) && content.every((c) => isObject(c) && c.type === 'text'));
}

function contentBytes(content: unknown, where: string): number {
  if (typeof content === 'string') return utf8(content);
  if (!Array.isArray(content)) throw new Unbounded(`${where}: content must be a string or a list of blocks`);
  let bytes = 0;
  for (const block of content) {
    if (isObject(block) && typeof block.type === 'string' && STRUCTURED_PARTS.has(block.type)) {
      if (block.type === 'tool_result' && !toolResultContentIsText(block.content)) {
        throw new Unbounded(`${where}: a tool_result with non-text content can't be bounded`);
      }
      bytes += jsonBytes(block) + FRAMING_TOKENS_PER_BLOCK;
    } else {
      bytes += textBlockBytes(block, where);
    }
  }
  return bytes;
}

function systemBytes(system: unknown): number {
  if (system === undefined || typeof system === 'string') return utf8(system ?? '');
  if (!Array.isArray(system)) throw new Unbounded('system must be a string or a list of text blocks');
  return system.reduce<number>((bytes, block) => bytes + textBlockBytes(block, 'system'), 0);
}

function toolsBytes(tools: unknown): number {
  if (tools === undefined) return 0;
  if (!Array.isArray(tools)) throw new Unbounded('tools must be a list');
  if (tools.length === 0) return 0;
  let bytes = TOOL_USE_PROMPT_TOKENS;
  for (const tool of tools) {
    // A server tool (web search, code execution, …) brings input the request doesn't show.
    if (!isObject(tool) || (tool.type !== undefined && tool.type !== 'custom')) {
      throw new Unbounded(`tools: a tool of type "${isObject(tool) ? String(tool.type) : typeof tool}" can't be bounded`);
    }
    bytes += jsonBytes(tool) + FRAMING_TOKENS_PER_BLOCK;
  }
  return bytes;
}

/** The proven upper bound of a Messages request's input tokens, or why there is none. */
export function messagesInputBound(request: MessagesInput): InputBound {
  try {
    let tokens = FRAMING_TOKENS_PER_REQUEST;
    tokens += systemBytes(request.system);
    for (const [i, message] of request.messages.entries()) {
      tokens += FRAMING_TOKENS_PER_MESSAGE + contentBytes(message.content, `messages.${i}`);
    }
    tokens += toolsBytes(request.tools);
    if (request.tool_choice !== undefined) tokens += jsonBytes(request.tool_choice);
    return { inputTokens: tokens };
  } catch (error) {
    if (error instanceof Unbounded) return { refused: error.message };
    throw error;
  }
}
