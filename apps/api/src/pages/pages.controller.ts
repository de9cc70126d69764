import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@loomworks/auth';
import { PersonsService } from '@loomworks/persons';

/** The project root: the nearest folder above this file with a package.json (source and dist alike). */
function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Where `npm run build` (scripts/build-web.mjs) puts the pages. */
export const WEB_DIR = join(projectRoot(__dirname), 'dist', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const PAGES = ['claim', 'signup', 'login', 'recover', 'account', 'chat', 'admin'] as const;

interface File {
  body: Buffer;
  type: string;
}

function load(dir: string): Map<string, File> {
  const files = new Map<string, File>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return files;
}

/**
 * The browser pages (apps/web, built into dist/web): HTML shells that load their script and
 * stylesheet as files — no inline script, so the CSP (http/security-headers.ts, with
 * no-referrer: the claim and recovery pages' URLs carry tokens) forbids them. Read once at start;
 * only the built file names are served, so no path can reach outside the folder.
 */
@ApiExcludeController()
@Public()
@Controller()
export class PagesController {
  private readonly pages = load(WEB_DIR);
  private readonly assets = load(join(WEB_DIR, 'assets'));
  /** Once an admin exists the first-run hint is gone for good (no query per page view after that). */
  private adminSeen = false;

  constructor(private readonly persons: PersonsService) {}

  /**
   * On the first run nobody can sign in: /login then says how to make the first admin. The shell
   * carries it as an attribute (no inline script under the CSP); it tells a visitor only that the
   * server is fresh, which the bootstrap token (made on the server's own command line) keeps safe.
   */
  private async firstRun(): Promise<boolean> {
    if (!this.adminSeen) this.adminSeen = await this.persons.hasLiveAdmin();
    return !this.adminSeen;
  }

  private send(reply: FastifyReply, file: File | undefined): Buffer {
    if (!file) throw new NotFoundException(this.pages.size === 0 ? 'The pages are not built: run npm run build' : 'No such file');
    void reply.headers({ 'cache-control': 'no-cache', 'content-type': file.type });
    return file.body;
  }

  @Get(PAGES as unknown as string[])
  async page(@Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const name = (reply.request.routeOptions.url ?? '').slice(1);
    const file = this.pages.get(`${name}.html`);
    if (name === 'login' && file && (await this.firstRun())) {
      return this.send(reply, { ...file, body: Buffer.from(file.body.toString('utf8').replace('<body ', '<body data-first-run="no-admin" ')) });
    }
    return this.send(reply, file);
  }

  /** A team's page: one shell for every team; the page reads the id from its URL and asks the API. */
  @Get('teams/:id')
  team(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, this.pages.get('teams.html'));
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, this.assets.get(name));
  }

  @Get('favicon.svg')
  favicon(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, this.pages.get('favicon.svg'));
  }

  /** Browsers ask for /favicon.ico on their own; the icon is the SVG. */
  @Get('favicon.ico')
  faviconIco(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, this.pages.get('favicon.svg'));
  }
}
