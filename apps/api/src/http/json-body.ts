import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** No body we accept comes close; deeper nesting is an attack on the recursive parsers and validators. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` opens more than `max` arrays/objects inside one another. A single linear scan
 * that skips string contents, run before JSON.parse so a hostile body never reaches recursion.
 */
export function jsonNestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * The JSON body parser (with registerCsvBodyParser the only ones: any other media type is a 415 from Fastify), at most
 * `bodyLimit` bytes (413), nested at most MAX_JSON_DEPTH deep (400), `__proto__`/`constructor`
 * keys refused (400), no NUL character and no unpaired surrogate in any string (400). An empty body with a JSON content type is "no body", so bodiless actions
 * may send the JSON content type the CSRF rule asks of cookie-authenticated writes.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      return done(new BadRequestException(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    }
    // The default parser answers through done; its type also allows the promise form it doesn't use here.
    void parse(request, text, (error, value) => {
      if (error) return done(error, undefined);
      if (hasUnstorableText(value)) return done(new BadRequestException('Text may not contain the NUL character (U+0000) or an unpaired surrogate'), undefined);
      done(null, value);
    });
  });
}

/** U+0000, or a UTF-16 surrogate that is not part of a pair (JSON's "\ud800" escape): not text. */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is refused
const UNSTORABLE = /\u0000|\p{Cs}/u;

/**
 * True when a string or key anywhere in a parsed body holds U+0000 (no Postgres text or jsonb
 * value can store it) or an unpaired surrogate (not Unicode: it can't be encoded as UTF-8, hashed
 * or compared reliably): refused here as malformed input rather than failing later as a 500
 * (after an LLM call, for a converse message). Nesting is already bounded by MAX_JSON_DEPTH.
 */
export function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.some(hasUnstorableText);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => UNSTORABLE.test(key) || hasUnstorableText(v));
  }
  return false;
}

/** A CSV upload (bulk grants, 10,000 rows with notes) may be larger than any JSON body. */
export const CSV_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * `text/csv` bodies (POST /admin/grants/bulk) arrive as text, at most CSV_BODY_LIMIT_BYTES (413),
 * refused with 400 when they hold the NUL character or an unpaired surrogate; the route parses them.
 */
export function registerCsvBodyParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT_BYTES }, (_request, body, done) => {
    const text = body as string;
    if (UNSTORABLE.test(text)) return done(new BadRequestException('Text may not contain the NUL character (U+0000) or an unpaired surrogate'), undefined);
    done(null, text);
  });
}
