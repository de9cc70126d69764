import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@loomworks/auth';

const ASSETS = join(__dirname, 'assets');
const read = (name: string) => readFileSync(join(ASSETS, name), 'utf8');

/**
 * The browser pages of API.md: claim (passkey + TOTP signup), login, admin — and signup without a
 * grant (the first admin's, with `?adminToken=`). Static files over the JSON API; no inline
 * scripts, so the CSP (set for every response in http/security-headers.ts, with no-referrer: the
 * claim page's URL carries the claim token) can forbid them.
 */
const PAGE_HEADERS: Record<string, string> = { 'cache-control': 'no-store' };

@ApiExcludeController()
@Public()
@Controller()
export class PagesController {
  private readonly files = new Map(
    ['claim.html', 'signup.html', 'login.html', 'admin.html', 'app.js', 'style.css'].map((name) => [name, read(name)]),
  );

  private send(reply: FastifyReply, name: string, type: string): string {
    void reply.headers({ ...PAGE_HEADERS, 'content-type': type });
    return this.files.get(name)!;
  }

  @Get('claim')
  claim(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, 'claim.html', 'text/html; charset=utf-8');
  }

  @Get('signup')
  signup(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, 'signup.html', 'text/html; charset=utf-8');
  }

  @Get('login')
  login(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, 'login.html', 'text/html; charset=utf-8');
  }

  @Get('admin')
  admin(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, 'admin.html', 'text/html; charset=utf-8');
  }

  @Get('assets/app.js')
  script(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, 'app.js', 'text/javascript; charset=utf-8');
  }

  @Get('assets/style.css')
  style(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.send(reply, 'style.css', 'text/css; charset=utf-8');
  }
}
