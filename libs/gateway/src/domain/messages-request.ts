import { InvalidMessagesRequestError } from './errors';

/**
 * A Messages API request as the gateway accepts it (DESIGN.md "The Messages API"): Anthropic's
 * fields listed there, and only content whose size is all in the bytes sent — texts, tool
 * definitions, tool inputs and results, thinking — so the hold can be a proven bound. Images,
 * documents, server tools and Anthropic-defined tools (expanded by the provider into text we never
 * see) can't be bounded before the call and are refused. Unknown fields are refused too: the
 * provider may price what we can't see.
 */
export interface MessagesRequest {
  model: string;
  maxTokens: number;
  stream: boolean;
  /** the request as received: forwarded to the provider unchanged */
  body: Record<string, unknown>;
}

const MAX_MODEL_LENGTH = 256;
const MAX_TOKENS_LIMIT = 2_147_483_647;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function refuse(path: string, message: string): never {
  throw new InvalidMessagesRequestError(`${path}: ${message}`);
}

function only(value: Json, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) refuse(path === '' ? key : `${path}.${key}`, 'Extra inputs are not permitted');
}

function object(value: unknown, path: string): Json {
  if (!isObject(value)) refuse(path, 'must be an object');
  return value;
}

function string(value: unknown, path: string, min = 0, max = Infinity): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    refuse(path, max === Infinity ? (min > 0 ? 'must be a non-empty string' : 'must be a string') : `must be a string of ${min} to ${max} characters`);
  }
  return value;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) refuse(path, `must be an integer from ${min} to ${max}`);
  return value;
}

function number(value: unknown, path: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) refuse(path, `must be a number from ${min} to ${max}`);
}

function list(value: unknown, path: string, nonEmpty = false): unknown[] {
  if (!Array.isArray(value) || (nonEmpty && value.length === 0)) refuse(path, nonEmpty ? 'must be a non-empty list' : 'must be a list');
  return value;
}

function optional(value: Json, key: string, check: (v: unknown, path: string) => void, path: string): void {
  if (value[key] !== undefined) check(value[key], path === '' ? key : `${path}.${key}`);
}

function cacheControl(value: unknown, path: string): void {
  const c = object(value, path);
  only(c, path, ['type', 'ttl']);
  if (c.type !== 'ephemeral') refuse(`${path}.type`, 'must be "ephemeral"');
  if (c.ttl !== undefined && c.ttl !== '5m' && c.ttl !== '1h') refuse(`${path}.ttl`, 'must be "5m" or "1h"');
}

/** Citations echoed back from an earlier answer: their text is sent, so it is counted like any other. */
function citations(value: unknown, path: string): void {
  if (value === null) return;
  list(value, path).forEach((c, i) => object(c, `${path}.${i}`));
}

function textBlock(block: Json, path: string): void {
  only(block, path, ['type', 'text', 'cache_control', 'citations']);
  string(block.text, `${path}.text`);
  optional(block, 'cache_control', cacheControl, path);
  optional(block, 'citations', citations, path);
}

const UNBOUNDED_CONTENT =
  "content of this type can't be bounded before the call (its tokens aren't in the bytes sent), so the Messages API here accepts only text, tool_use, tool_result, thinking and redacted_thinking blocks";

function contentBlock(value: unknown, path: string): void {
  const block = object(value, path);
  switch (block.type) {
    case 'text':
      return textBlock(block, path);
    case 'tool_use':
      only(block, path, ['type', 'id', 'name', 'input', 'cache_control']);
      string(block.id, `${path}.id`, 1);
      string(block.name, `${path}.name`, 1);
      object(block.input, `${path}.input`);
      return optional(block, 'cache_control', cacheControl, path);
    case 'tool_result':
      only(block, path, ['type', 'tool_use_id', 'content', 'is_error', 'cache_control']);
      string(block.tool_use_id, `${path}.tool_use_id`, 1);
      if (block.is_error !== undefined && typeof block.is_error !== 'boolean') refuse(`${path}.is_error`, 'must be a boolean');
      if (block.content !== undefined && typeof block.content !== 'string') {
        list(block.content, `${path}.content`).forEach((inner, i) => {
          const at = `${path}.content.${i}`;
          const b = object(inner, at);
          if (b.type !== 'text') refuse(`${at}.type`, UNBOUNDED_CONTENT);
          textBlock(b, at);
        });
      }
      return optional(block, 'cache_control', cacheControl, path);
    case 'thinking':
      only(block, path, ['type', 'thinking', 'signature']);
      string(block.thinking, `${path}.thinking`);
      string(block.signature, `${path}.signature`);
      return;
    case 'redacted_thinking':
      // Encrypted and base64-encoded, so never shorter than the thinking it carries.
      only(block, path, ['type', 'data']);
      string(block.data, `${path}.data`);
      return;
    default:
      refuse(`${path}.type`, typeof block.type === 'string' ? UNBOUNDED_CONTENT : 'must be a content block type');
  }
}

function message(value: unknown, path: string): void {
  const m = object(value, path);
  only(m, path, ['role', 'content']);
  if (m.role !== 'user' && m.role !== 'assistant') refuse(`${path}.role`, 'must be "user" or "assistant"');
  if (typeof m.content === 'string') return;
  list(m.content, `${path}.content`).forEach((block, i) => contentBlock(block, `${path}.content.${i}`));
}

function system(value: unknown, path: string): void {
  if (typeof value === 'string') return;
  list(value, path).forEach((block, i) => {
    const at = `${path}.${i}`;
    const b = object(block, at);
    if (b.type !== 'text') refuse(`${at}.type`, 'must be "text"');
    textBlock(b, at);
  });
}

function tool(value: unknown, path: string): void {
  const t = object(value, path);
  // Anthropic-defined tools (bash, text editor, computer use) and server tools (web search, code
  // execution …) carry a versioned `type`; the provider expands them into definitions we never see.
  if (t.type !== undefined && t.type !== 'custom') refuse(`${path}.type`, "server and Anthropic-defined tools can't be bounded before the call; only custom tools are accepted");
  only(t, path, ['type', 'name', 'description', 'input_schema', 'cache_control']);
  string(t.name, `${path}.name`, 1, 128);
  optional(t, 'description', (v, p) => string(v, p), path);
  object(t.input_schema, `${path}.input_schema`);
  optional(t, 'cache_control', cacheControl, path);
}

function toolChoice(value: unknown, path: string): void {
  const c = object(value, path);
  only(c, path, ['type', 'name', 'disable_parallel_tool_use']);
  if (!['auto', 'any', 'tool', 'none'].includes(c.type as string)) refuse(`${path}.type`, 'must be "auto", "any", "tool" or "none"');
  if (c.type === 'tool') string(c.name, `${path}.name`, 1);
  else if (c.name !== undefined) refuse(`${path}.name`, 'only with type "tool"');
  if (c.disable_parallel_tool_use !== undefined && typeof c.disable_parallel_tool_use !== 'boolean') refuse(`${path}.disable_parallel_tool_use`, 'must be a boolean');
}

function thinking(value: unknown, path: string): void {
  const t = object(value, path);
  if (t.type === 'disabled') return only(t, path, ['type']);
  if (t.type !== 'enabled') refuse(`${path}.type`, 'must be "enabled" or "disabled"');
  only(t, path, ['type', 'budget_tokens']);
  integer(t.budget_tokens, `${path}.budget_tokens`, 1, MAX_TOKENS_LIMIT);
}

function metadata(value: unknown, path: string): void {
  const m = object(value, path);
  only(m, path, ['user_id']);
  if (m.user_id !== undefined && m.user_id !== null) string(m.user_id, `${path}.user_id`, 0, 256);
}

const FIELDS = ['model', 'max_tokens', 'system', 'messages', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'metadata', 'tools', 'tool_choice', 'thinking', 'stream'];

/** Checks a Messages API body; throws InvalidMessagesRequestError naming the first offending field. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  if (!isObject(body)) refuse('body', 'must be a JSON object');
  only(body, '', FIELDS);
  const model = string(body.model, 'model', 1, MAX_MODEL_LENGTH);
  const maxTokens = integer(body.max_tokens, 'max_tokens', 1, MAX_TOKENS_LIMIT);
  list(body.messages, 'messages', true).forEach((m, i) => message(m, `messages.${i}`));
  optional(body, 'system', system, '');
  optional(body, 'stop_sequences', (v, p) => list(v, p).forEach((s, i) => string(s, `${p}.${i}`, 1)), '');
  optional(body, 'temperature', (v, p) => number(v, p, 0, 1), '');
  optional(body, 'top_p', (v, p) => number(v, p, 0, 1), '');
  optional(body, 'top_k', (v, p) => integer(v, p, 0, MAX_TOKENS_LIMIT), '');
  optional(body, 'metadata', metadata, '');
  optional(body, 'tools', (v, p) => list(v, p).forEach((t, i) => tool(t, `${p}.${i}`)), '');
  optional(body, 'tool_choice', toolChoice, '');
  optional(body, 'thinking', thinking, '');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') refuse('stream', 'must be a boolean');
  return { model, maxTokens, stream: body.stream === true, body };
}
