import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..', '..', '..');
// In a child process: openapi-typescript loads ESM-only packages that jest's CommonJS runtime can't.
const check = (...file: string[]) => run(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/cli/api-types.ts', '--check', ...file], { cwd: root });

// The pages' API types come from the OpenAPI document; a schema changed without regenerating them
// would let the pages and the server drift apart unnoticed.
// Booting the app's module graph in a child process takes seconds, more under load.
jest.setTimeout(180_000);

describe('the pages’ generated API types', () => {
  it('match the OpenAPI document the server serves (else: npm run api:types)', async () => {
    await expect(check()).resolves.toBeDefined();
  });

  it('are found stale when they differ from the document', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-types-'));
    try {
      const stale = join(dir, 'api-types.gen.ts');
      const generated = readFileSync(join(root, 'apps', 'web', 'src', 'api-types.gen.ts'), 'utf8');
      writeFileSync(stale, generated.replace('PersonViewSchema: {', 'PersonViewSchema: {\n            edited: true;'));
      await expect(check(stale)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('api-types.gen.ts is stale: run `npm run api:types`') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
