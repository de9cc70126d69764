// Builds the pages (apps/web, Preact + TypeScript) into dist/web with esbuild: one script per
// page (shared code split into chunks), one stylesheet, the favicon, and an HTML shell per page
// that loads them as files — no inline script, so the strict CSP holds.
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'apps', 'web', 'src');

/** page name → its title; each has apps/web/src/pages/<name>.tsx and is served at /<name> (teams: at /teams/:id). */
export const PAGES = {
  claim: 'Claim your credit',
  signup: 'Create an account',
  login: 'Sign in',
  recover: 'Recover your account',
  account: 'Your account',
  chat: 'Conversations',
  admin: 'Admin console',
  teams: 'Team',
};

function shell(name, title) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Loomworks</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/${name}.js"></script>
</head>
<body data-page="${name}">
<div id="app"><noscript>This page needs JavaScript.</noscript></div>
</body>
</html>
`;
}

export async function buildWeb({ outdir = join(root, 'dist', 'web') } = {}) {
  // Built beside the old output and swapped in, so a server reading it never sees half a build.
  const fresh = `${outdir}.${process.pid}.tmp`;
  const assets = join(fresh, 'assets');
  await rm(fresh, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  await build({
    entryPoints: [
      ...Object.keys(PAGES).map((name) => ({ in: join(src, 'pages', `${name}.tsx`), out: name })),
      { in: join(src, 'style.css'), out: 'app' },
    ],
    outdir: assets,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    chunkNames: 'chunk-[hash]',
    legalComments: 'none',
    logLevel: 'warning',
  });
  await copyFile(join(src, 'favicon.svg'), join(fresh, 'favicon.svg'));
  for (const [name, title] of Object.entries(PAGES)) await writeFile(join(fresh, `${name}.html`), shell(name, title));
  await rm(outdir, { recursive: true, force: true });
  await rename(fresh, outdir);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildWeb().catch((error) => {
    process.stderr.write(`build-web: ${error.message}\n`);
    process.exit(1);
  });
}
