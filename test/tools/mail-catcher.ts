/**
 * A local mail catcher (the test suite's in-process SMTP server) that prints every mail it receives:
 *   npm run mail-catcher -- [--port 1025]
 * then start the server with mail on:
 *   SMTP_URL=smtp://mailer:catcher-secret@127.0.0.1:1025 npm start
 * Each mail is printed as its headers and its text part (the HTML part is received but not shown).
 */
import { SmtpCatcher, type CaughtMail } from '../support/smtp-catcher';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

async function main() {
  const catcher = await SmtpCatcher.start(Number(arg('port') ?? 1025));
  process.stdout.write(`mail catcher on smtp://127.0.0.1:${catcher.port}; start the server with\n  SMTP_URL=${catcher.url}\n\n`);
  catcher.arrivals.on('mail', (mail: CaughtMail) => {
    process.stdout.write(`${'='.repeat(72)}\n${mail.headerBlock}\n\n${mail.text}\n`);
  });
}

void main();
