// Copies the SQL function files (libs/**/sql/*.sql) beside the compiled code in dist, where
// their directory constants point at run time (tsc copies only .ts output).
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let copied = 0;
for (const entry of readdirSync(join(root, 'libs'), { recursive: true })) {
  if (!entry.endsWith('.sql')) continue;
  const source = join(root, 'libs', entry);
  cpSync(source, join(root, 'dist', relative(root, source)));
  copied++;
}
console.log(`copy-sql: ${copied} function files into dist`);
