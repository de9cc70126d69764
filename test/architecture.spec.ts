import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The boundary rules of .dependency-cruiser.cjs catch what they claim to: a small tree laid out like
 * ours, one file per violation, cruised with our config. `npm run lint` runs the same config on
 * the real tree (which must be clean).
 */
const ROOT = resolve(__dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const MODULES = ['common', 'config', 'database', 'system-config', 'outbox', 'persons', 'credit', 'llm', 'auth', 'orchestration', 'gateway', 'notifications', 'operations', 'admin'];

async function cruise(dir: string, paths: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [DEPCRUISE, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err', ...paths],
      { cwd: dir },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('module boundaries (dependency-cruiser)', () => {
  let dir: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loomworks-arch-'));
    const paths = Object.fromEntries(MODULES.map((m) => [`@loomworks/${m}`, [`libs/${m}/src`]]));
    write('tsconfig.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths } }));
    for (const m of MODULES) write(`libs/${m}/src/index.ts`, `export const ${m.replace('-', '')} = 1;\n`);
    write('libs/credit/src/internal.ts', 'export const internal = 1;\n');
    write('libs/credit/src/testing/index.ts', 'export const permissive = 1;\n');
    write('libs/credit/src/staff/index.ts', 'export const grants = 1;\n');
    write('node_modules/typeorm/index.js', 'exports.In = () => null;\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts imports down the order through index.ts', async () => {
    write('libs/auth/src/allowed.ts', "import { credit } from '@loomworks/credit';\nimport { common } from '@loomworks/common';\nexport const x = credit + common;\n");
    write('libs/orchestration/src/allowed.ts', "import { llm } from '@loomworks/llm';\nimport { credit } from '@loomworks/credit';\nexport const x = llm + credit;\n");
    write('libs/llm/src/allowed.ts', "import { persons } from '@loomworks/persons';\nexport const x = persons;\n");
    write(
      'libs/admin/src/allowed.ts',
      "import { notifications } from '@loomworks/notifications';\nimport { operations } from '@loomworks/operations';\nimport { grants } from '../../credit/src/staff/index';\nexport const x = notifications + operations + grants;\n",
    );
    write('apps/api/src/main.ts', "import { admin } from '@loomworks/admin';\nimport { permissive } from '../../../libs/credit/src/testing/index';\nexport const x = admin + permissive;\n");
    const { code, output } = await cruise(dir, ['libs/auth/src/allowed.ts', 'libs/orchestration/src/allowed.ts', 'libs/llm/src/allowed.ts', 'libs/admin/src/allowed.ts', 'apps/api/src/main.ts']);
    expect(output).toContain('no dependency violations');
    expect(code).toBe(0);
  }, 60_000);

  const VIOLATIONS: [what: string, path: string, text: string, rule: string][] = [
    ['credit importing auth (upward)', 'libs/credit/src/upward.ts', "import { auth } from '@loomworks/auth';\nexport const x = auth;\n", 'direction-credit'],
    ['credit importing llm (they sit side by side)', 'libs/credit/src/sideways.ts', "import { llm } from '@loomworks/llm';\nexport const x = llm;\n", 'direction-credit'],
    ['llm importing credit (they sit side by side)', 'libs/llm/src/sideways.ts', "import { credit } from '@loomworks/credit';\nexport const x = credit;\n", 'direction-llm'],
    ['outbox importing notifications (upward)', 'libs/outbox/src/upward.ts', "import { notifications } from '@loomworks/notifications';\nexport const x = notifications;\n", 'direction-outbox'],
    ['orchestration importing admin (sideways at the top)', 'libs/orchestration/src/sideways.ts', "import { admin } from '@loomworks/admin';\nexport const x = admin;\n", 'direction-orchestration'],
    ['gateway importing orchestration (sideways at the top)', 'libs/gateway/src/sideways.ts', "import { orchestration } from '@loomworks/orchestration';\nexport const x = orchestration;\n", 'direction-gateway'],
    ["gateway reaching credit's staff services", 'libs/gateway/src/staff.ts', "import { grants } from '../../credit/src/staff/index';\nexport const x = grants;\n", 'credit-seam-only'],
    ['a library importing the app', 'libs/common/src/app.ts', "import { x as y } from '../../../apps/api/src/main';\nexport const x = y;\n", 'direction-common'],
    ["admin reaching past credit's index", 'libs/admin/src/deep.ts', "import { internal } from '../../credit/src/internal';\nexport const x = internal;\n", 'only-through-index'],
    ["auth reaching credit's staff services", 'libs/auth/src/staff.ts', "import { grants } from '../../credit/src/staff/index';\nexport const x = grants;\n", 'credit-seam-only'],
    ["orchestration binding credit's test double", 'libs/orchestration/src/permissive.ts', "import { permissive } from '../../credit/src/testing/index';\nexport const x = permissive;\n", 'credit-seam-only'],
    ['a migration importing app code', 'migrations/1-Seed.ts', "import { systemconfig } from '@loomworks/system-config';\nexport const x = systemconfig;\n", 'migrations-self-contained'],
    ['a service importing TypeORM', 'libs/credit/src/grants.service.ts', "import { In } from 'typeorm';\nexport const x = In;\n", 'typeorm-in-persistence'],
    ['a cycle', 'libs/persons/src/a.ts', "import { b } from './b';\nexport const a = () => b;\n", 'no-circular'],
  ];
  let violations: { code: number; output: string };

  // One cruise over every violating file (each spawn costs seconds on a loaded machine); each
  // case then finds its own line, `error <rule>: <its file> → …`.
  it.each(VIOLATIONS)('refuses %s, naming the rule', async (_what, path, _text, rule) => {
    violations ??= await (async () => {
      for (const [, file, text] of VIOLATIONS) write(file, text);
      write('libs/persons/src/b.ts', "import { a } from './a';\nexport const b = () => a;\n");
      return cruise(dir, VIOLATIONS.map(([, file]) => file));
    })();
    expect(violations.output).toContain(`error ${rule}: ${path} →`);
    expect(violations.code).not.toBe(0);
  }, 60_000);
});
