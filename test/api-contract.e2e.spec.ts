import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestContext } from './support/test-context';
import { ERROR_STATUS } from '@loomworks/common';

/**
 * docs/api.md, the product's own reference, is the contract of what is built, and /docs-json must
 * match it: this walks its route tables and
 * checks, route by route, that the OpenAPI document has the route, every status API.md names
 * (success and errors), an example for every error code it names, and every field of the
 * success shape — nested objects, lists and the named types (PersonView, FlowView …) included.
 */
const API_MD = readFileSync(join(__dirname, '../docs/api.md'), 'utf8');

// ---- a small reader for API.md's shape notation: {a, b?: {c}, d: [{e}], f: FlowView[], g: "x" | null} ----

type Shape = { kind: 'object'; fields: { name: string; shape?: Shape }[] } | { kind: 'array'; of: Shape } | { kind: 'type'; name: string };

function parseShape(text: string, types: Map<string, string>): Shape | undefined {
  let i = 0;
  const src = text.replace(/\\\|/g, '|');
  const skip = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const word = () => {
    skip();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  const value = (): Shape | undefined => {
    const alternatives: (Shape | undefined)[] = [];
    do {
      skip();
      if (src[i] === '|') i++;
      skip();
      alternatives.push(single());
      skip();
    } while (src[i] === '|');
    if (src[i] === '?') i++; // `models: {…}?`
    return alternatives.find((a) => a !== undefined);
  };
  const single = (): Shape | undefined => {
    skip();
    if (src[i] === '{') return object();
    if (src[i] === '[') {
      i++;
      const of = value();
      skip();
      if (src[i] === ']') i++;
      return of && { kind: 'array', of };
    }
    if (src[i] === '"') {
      i = src.indexOf('"', i + 1) + 1;
      return undefined;
    }
    const name = word();
    let shape: Shape | undefined = types.has(name) ? { kind: 'type', name } : undefined;
    if (src.startsWith('[]', i)) {
      i += 2;
      shape = shape && { kind: 'array', of: shape };
    }
    return shape;
  };
  const object = (): Shape => {
    i++; // {
    const fields: { name: string; shape?: Shape }[] = [];
    for (;;) {
      skip();
      if (src[i] === '}') {
        i++;
        break;
      }
      if (src[i] === ',') {
        i++;
        continue;
      }
      const name = word();
      if (!name) throw new Error(`API.md shape: cannot read ${JSON.stringify(src.slice(i, i + 30))} in ${text}`);
      skip();
      if (src[i] === '?') i++;
      skip();
      if (src[i] === '(') i = src.indexOf(')', i) + 1; // `turnId? (the assistant turn's id …)`: prose, not shape
      skip();
      let shape: Shape | undefined;
      if (src[i] === ':') {
        i++;
        shape = value();
      }
      fields.push({ name, shape });
    }
    return { kind: 'object', fields };
  };
  skip();
  return value();
}

/** The braces from `start` (an opening brace) to its closing one. */
function braced(text: string, start: number): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced braces in API.md at ${start}`);
}

/** Named types: `PersonView {…}`, `Mail {…}`, and `ConverseResponse`: `{… U …} with U = {…}`. */
function namedTypes(md: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const m of md.matchAll(/`([A-Z][A-Za-z]+) \{/g)) types.set(m[1], braced(md, m.index + m[0].length - 1));
  const converse = md.indexOf('`ConverseResponse`: `{');
  if (converse >= 0) {
    let body = braced(md, md.indexOf('{', converse));
    const u = /with U = (\{[^}]*\})/.exec(body);
    if (u) body = body.replace(u[0], '').replace(/\bU\b/g, u[1]);
    types.set('ConverseResponse', body);
  }
  return types;
}

interface Row {
  routes: { method: string; path: string }[];
  success: { status: number; shape?: string }[];
  errors: { statuses: number[]; codes: string[] };
}

const HTTP_STATUSES = new Set([200, 201, 204, 400, 401, 402, 403, 404, 405, 409, 410, 413, 415, 429, 502, 503]);

function statusesWithShapes(cell: string, types: Map<string, string>): { status: number; shape?: string }[] {
  const found = [...cell.matchAll(/(?:^|[\s·;(])([1-5]\d\d)(?=[\s;,.)]|$)/g)].filter((m) => HTTP_STATUSES.has(Number(m[1])));
  return found.map((m, k) => {
    const end = k + 1 < found.length ? found[k + 1].index : cell.length;
    const code = [...cell.slice(m.index, end).matchAll(/`([^`]+)`/g)].map((c) => c[1]).find((c) => c.startsWith('{') || types.has(c.replace(/\[\]$/, '')));
    return { status: Number(m[1]), shape: code };
  });
}

function routeTables(md: string, types: Map<string, string>): Row[] {
  return md
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [route, , success, errors] = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
      const routes: { method: string; path: string }[] = [];
      for (const [, text] of route.matchAll(/`([^`]+)`/g)) {
        const [method, path] = text.includes(' ') ? text.split(' ') : [routes[routes.length - 1].method, text];
        // `/reactivate` after `POST /admin/persons/:id/suspend` replaces its last segment
        const full = path.startsWith('/') && !text.includes(' ') ? routes[routes.length - 1].path.replace(/\/[^/]+$/, path) : path;
        routes.push({ method: method.toLowerCase(), path: full.split('?')[0].replace(/:(\w+)/g, '{$1}') });
      }
      return {
        routes,
        success: statusesWithShapes(success, types),
        errors: {
          statuses: statusesWithShapes(errors, types).map((s) => s.status),
          codes: [...errors.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((c) => ERROR_STATUS[c] !== undefined),
        },
      };
    });
}

// ---- the OpenAPI side ----

type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; items?: Schema; allOf?: Schema[]; oneOf?: Schema[] };
type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: Schema; examples?: Record<string, unknown> }> }> }>>;
  components: { schemas: Record<string, Schema> };
};

function resolve(doc: Doc, schema: Schema | undefined): Schema | undefined {
  let s = schema;
  while (s?.$ref) s = doc.components.schemas[s.$ref.split('/').pop()!];
  if (s?.allOf) return { ...s, properties: Object.assign({}, ...s.allOf.map((p) => resolve(doc, p)?.properties ?? {}), s.properties) };
  // A route answering one of two shapes (`?asOf=`): each documented field must be in one of them (the first's wins).
  if (s?.oneOf && !s.type) return { ...s, type: 'object', properties: Object.assign({}, ...[...s.oneOf].reverse().map((p) => resolve(doc, p)?.properties ?? {})) };
  return s;
}

/** Every field of `shape` that `schema` lacks, as dotted paths. */
function missingFields(doc: Doc, types: Map<string, string>, shape: Shape, schema: Schema | undefined, at: string): string[] {
  const s = resolve(doc, schema);
  if (shape.kind === 'type') return missingFields(doc, types, parseShape(types.get(shape.name)!, types)!, s, at);
  if (shape.kind === 'array') return s?.type === 'array' ? missingFields(doc, types, shape.of, s.items, `${at}[]`) : [`${at} (not a list)`];
  return shape.fields.flatMap((f) => {
    const property = s?.properties?.[f.name];
    if (!property) return [`${at}.${f.name}`];
    return f.shape ? missingFields(doc, types, f.shape, property, `${at}.${f.name}`) : [];
  });
}

describe('the OpenAPI document matches API.md, route by route', () => {
  const types = namedTypes(API_MD);
  const rows = routeTables(API_MD, types);
  let ctx: TestContext;
  let doc: Doc;

  beforeAll(async () => {
    ctx = await TestContext.create();
    doc = (await ctx.http().get('/docs-json').expect(200)).body as Doc;
  });
  afterAll(() => ctx.close());

  it('reads every route table of API.md', () => {
    expect(rows.flatMap((r) => r.routes).length).toBeGreaterThanOrEqual(50);
    expect([...types.keys()]).toEqual(expect.arrayContaining(['PersonView', 'GrantView', 'FlowView', 'HoldView', 'PasskeyView', 'Mail', 'ConverseResponse']));
  });

  const cases = rows.flatMap((row) =>
    row.routes.map((route, k) => {
      // A row pairing a read with a write (`GET /admin/rates` · `PUT /admin/rates`) lists the write's errors.
      const errorsApply = !(route.method === 'get' && row.routes.some((r) => r.method !== 'get'));
      const success = row.success.length === row.routes.length && row.routes.length > 1 ? [row.success[k]] : row.success;
      return [`${route.method.toUpperCase()} ${route.path}`, { route, success, errors: errorsApply ? row.errors : { statuses: [], codes: [] } }] as const;
    }),
  );

  it.each(cases)('%s', (_name, { route, success, errors }) => {
    const operation = doc.paths[route.path]?.[route.method];
    expect({ route: `${route.method} ${route.path}`, documented: operation !== undefined }).toEqual({ route: `${route.method} ${route.path}`, documented: true });
    const responses = operation.responses;

    const statuses = [...success.map((s) => s.status), ...errors.statuses].map(String);
    expect({ route: route.path, missingStatuses: statuses.filter((s) => responses[s] === undefined) }).toEqual({ route: route.path, missingStatuses: [] });

    // A code is shown at its ERROR_STATUS, or at another status the row names for it (409 account_suspended on authorizations).
    const missingExamples = errors.codes.filter((code) =>
      [ERROR_STATUS[code], ...errors.statuses].every((status) => responses[status]?.content?.['application/json']?.examples?.[code] === undefined));
    expect({ route: route.path, missingErrorExamples: missingExamples }).toEqual({ route: route.path, missingErrorExamples: [] });

    for (const { status, shape } of success) {
      const parsed = shape && parseShape(shape, types);
      if (!parsed) continue;
      const schema = responses[String(status)]?.content?.['application/json']?.schema;
      expect({ route: route.path, status, missingFields: missingFields(doc, types, parsed, schema, 'body') }).toEqual({ route: route.path, status, missingFields: [] });
    }
  });

  it('documents every error response with the error shape and an example per code, showing its own code', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const json = response.content?.['application/json'];
          if (Number(status) < 400 || !json) continue;
          const where = `${method} ${path} ${status}`;
          // The Messages API answers in Anthropic's shape ({type: "error", error: {type, message}}), so its SDKs raise their usual exceptions.
          const anthropic = path.startsWith('/v1/');
          expect({ where, schema: json.schema?.$ref }).toEqual({ where, schema: `#/components/schemas/${anthropic ? 'AnthropicErrorResponse' : 'ErrorResponse'}` });
          const examples = Object.entries(json.examples ?? {}) as [string, { value: Record<string, unknown> }][];
          expect({ where, examples: examples.length > 0 }).toEqual({ where, examples: true });
          const shows = (code: string) => (anthropic ? { type: 'error', error: { type: code } } : { error: code, statusCode: Number(status) });
          for (const [code, example] of examples) expect({ where, code, shown: example.value }).toMatchObject({ where, code, shown: shows(code) });
        }
      }
    }
  });

  it('lists the Idempotency-Key header once, optional, where API.md accepts it', () => {
    const takesKey = ['post /admin/grants', 'post /admin/grants/bulk', 'post /admin/persons/{id}/adjustments', 'post /admin/engagements/{id}/adjustments', 'post /me/claims', 'post /engagements/{engagementId}/converse',
      'post /credit/authorizations/{id}/capture', 'post /admin/refunds'];
    // where API.md requires the key (missing → 400 idempotency_key_required)
    const requiresKey = ['post /credit/authorizations'];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations) as [string, { parameters?: { in: string; name: string; required?: boolean }[] }][]) {
        const headers = (operation.parameters ?? []).filter((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
        const route = `${method} ${path}`;
        const expected = takesKey.includes(route) || requiresKey.includes(route) ? [{ in: 'header', name: 'Idempotency-Key', required: requiresKey.includes(route) }] : [];
        expect({ route: `${method} ${path}`, headers: headers.map(({ in: where, name, required }) => ({ in: where, name, required })) }).toEqual({
          route: `${method} ${path}`,
          headers: expected,
        });
      }
    }
  });

  it('types ErrorResponse.fields as [{field, message}]', () => {
    const fields = resolve(doc, doc.components.schemas.ErrorResponse.properties!.fields);
    expect(fields?.type).toBe('array');
    expect(Object.keys(resolve(doc, fields!.items)!.properties!).sort()).toEqual(['field', 'message']);
  });
});
