/**
 * Signs up against a running server without a browser, using the test suite's software
 * authenticator (a real ES256 passkey) and a TOTP code computed from the returned secret.
 *
 *   npm run dev:signup -- --email you@example.com [--name "You"] [--admin-token T] [--base http://localhost:3000]
 *     (the server's URL: --base, else http://localhost:$PORT, else http://localhost:3000)
 *   npm run dev:signup -- --claim-token C        (a grant's claim link)
 *   npm run dev:signup -- --recovery-token R     (a recovery link: replaces the account's passkeys and TOTP)
 *
 * With mail on (SMTP_URL), a plain signup mails a code to the address: the tool asks for it.
 * Prints the session token (use it as `Authorization: Bearer …`) and the account's TOTP secret
 * (also as a QR code on stderr, for an authenticator app). The passkey lives only in this process:
 * it is for trying the API; to sign in to the pages with this account, add a passkey from the
 * browser (a recovery link from another admin, or `POST /me/passkeys/begin` with a code).
 */
import { createInterface } from 'node:readline/promises';
import { generate } from 'otplib';
import { toString as qrText } from 'qrcode';
import { SoftAuthenticator } from '../support/soft-authenticator';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON answers, read field by field like supertest's bodies
async function post(base: string, path: string, body: unknown): Promise<Record<string, any>> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new Error(`no server answers at ${base}: start it with npm start (PORT=${new URL(base).port || '80'}), or point this tool at it with --base <url> or PORT`);
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  const json = (await res.json().catch(() => ({}))) as Record<string, any>;
  if (!res.ok) throw new Error(`${path} → ${res.status} ${json.error ?? ''}: ${json.message ?? 'not the Loomworks API?'}`);
  return json;
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

async function main(): Promise<void> {
  const base = arg('base') ?? `http://localhost:${process.env.PORT || 3000}`;
  process.stderr.write(`dev:signup: using the server at ${base}\n`);
  const email = arg('email');
  const claimToken = arg('claim-token');
  const recoveryToken = arg('recovery-token');
  if (!email && !claimToken && !recoveryToken) throw new Error('usage: --email you@example.com (or --claim-token T, or --recovery-token R)');
  const started = recoveryToken
    ? await post(base, '/auth/recovery/begin', { recoveryToken })
    : claimToken && !email
      ? await post(base, '/claim/grant', { claimToken })
      : await post(base, '/auth/signup/begin', { email, displayName: arg('name') ?? email!.split('@')[0], adminToken: arg('admin-token') });
  // Mail is on: the server mailed a code to the address, which proves it is yours.
  const emailCode = started.emailVerification === 'sent' ? await ask(`A code was mailed to ${email}. Type it: `) : undefined;
  const authenticator = new SoftAuthenticator(arg('origin') ?? base, new URL(base).hostname);
  const passkey = await post(base, '/auth/signup/passkey', { registrationId: started.registrationId, credential: authenticator.register(started.options as never) });
  const code = await generate({ secret: passkey.totp.secret });
  const done = await post(base, '/auth/signup/totp-verify', { registrationId: started.registrationId, code, claimToken, recoveryToken, emailCode });
  const totp = { secret: passkey.totp.secret as string, otpauthUrl: passkey.totp.otpauthUrl as string };
  process.stderr.write(`\nThe account's authenticator secret (add it to an authenticator app; shown once):\n${await qrText(totp.otpauthUrl, { type: 'terminal', small: true })}\n  ${totp.secret}\n\n`);
  if (done.person.role === 'admin') {
    // The passkey dies with this process; a browser needs its own. A recovery link gives it one
    // (and a new authenticator), ending this tool's session.
    process.stderr.write(
      `To use this admin in a browser, give the browser a passkey of its own with a recovery link (it replaces this passkey and authenticator, and ends the session below):\n` +
        `  curl -s -X POST ${base}/admin/persons/${done.person.id}/recovery -H 'authorization: Bearer ${done.sessionToken}' -H 'content-type: application/json' -d '{"sendEmail":false}'\n` +
        `then open its recoveryUrl.\n\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ person: done.person, credit: done.credit, sessionToken: done.sessionToken, totp }, null, 2)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`signup failed: ${error.message}\n`);
  process.exit(1);
});
