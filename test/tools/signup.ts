/**
 * Signs up against a running server without a browser, using the test suite's software
 * authenticator (a real ES256 passkey) and a TOTP code computed from the returned secret.
 *
 *   npm run dev:signup -- --email you@example.com [--name "You"] [--admin-token T] [--claim-token C] [--base http://localhost:3000]
 *
 * Prints the session token (use it as `Authorization: Bearer …`). The passkey lives only in this
 * process: it is for trying the API, not for a real account.
 */
import { generate } from 'otplib';
import { SoftAuthenticator } from '../support/soft-authenticator';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function post(base: string, path: string, body: unknown): Promise<Record<string, any>> {
  const res = await fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, any>;
  if (!res.ok) throw new Error(`${path} → ${res.status} ${json.error}: ${json.message}`);
  return json;
}

async function main(): Promise<void> {
  const base = arg('base') ?? 'http://localhost:3000';
  const email = arg('email');
  const claimToken = arg('claim-token');
  if (!email && !claimToken) throw new Error('usage: --email you@example.com (or --claim-token T)');
  const started = claimToken && !email
    ? await post(base, '/claim/grant', { claimToken })
    : await post(base, '/auth/signup/begin', { email, displayName: arg('name') ?? email!.split('@')[0], adminToken: arg('admin-token') });
  const authenticator = new SoftAuthenticator(arg('origin') ?? base, new URL(base).hostname);
  const passkey = await post(base, '/auth/signup/passkey', { registrationId: started.registrationId, credential: authenticator.register(started.options as never) });
  const code = await generate({ secret: passkey.totp.secret });
  const done = await post(base, '/auth/signup/totp-verify', { registrationId: started.registrationId, code, claimToken });
  process.stdout.write(`${JSON.stringify({ person: done.person, credit: done.credit, sessionToken: done.sessionToken }, null, 2)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`signup failed: ${error.message}\n`);
  process.exit(1);
});
