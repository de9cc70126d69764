import { EventEmitter } from 'node:events';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port';

export interface CaughtMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** the raw header block, as received */
  headerBlock: string;
}

/**
 * A real SMTP server in the test process (the `smtp-server` package) that receives what the app
 * sends. It can refuse mail (451, a temporary failure) or be stopped and started again on the same
 * port, to show that mail waits in the outbox and is sent once the server is back.
 */
export class SmtpCatcher {
  readonly received: CaughtMail[] = [];
  /** when set, every message is answered with 451 and not kept */
  refusing = false;
  /** when set, a message's data is read but never answered (the sender hangs); emits 'held' */
  holding = false;
  private server?: SMTPServer;
  /** emits 'mail' with each CaughtMail as it arrives */
  readonly arrivals = new EventEmitter();

  private constructor(
    readonly port: number,
    readonly user: string,
    readonly password: string,
  ) {}

  static async start(port?: number): Promise<SmtpCatcher> {
    const catcher = new SmtpCatcher(port ?? (await freePort()), 'mailer', 'catcher-secret');
    await catcher.resume();
    return catcher;
  }

  /** SMTP_URL for the app under test. */
  get url(): string {
    return `smtp://${this.user}:${this.password}@127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    const server = new SMTPServer({
      // Plain SMTP on loopback: the self-signed STARTTLS certificate would only test nodemailer.
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _session, callback) =>
        auth.username === this.user && auth.password === this.password ? callback(null, { user: auth.username }) : callback(new Error('bad credentials')),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.holding) {
            this.arrivals.emit('held', session.envelope.rcptTo.map((r) => r.address).join(','));
            return;
          }
          if (this.refusing) {
            callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
            return;
          }
          const raw = Buffer.concat(chunks);
          simpleParser(raw)
            .then((parsed) => {
              const mail: CaughtMail = {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address).join(','),
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                html: typeof parsed.html === 'string' ? parsed.html : '',
                messageId: parsed.messageId ?? '',
                headerBlock: raw.toString('utf8').split(/\r?\n\r?\n/)[0],
              };
              this.received.push(mail);
              callback();
              this.arrivals.emit('mail', mail);
            })
            .catch((error: Error) => callback(error));
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Stops listening (the app's connections are refused) until `resume()`; open connections are cut. */
  async pause(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves when a message to `address` is being held (see `holding`). */
  held(address: string, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no held mail to ${address}`)), timeoutMs);
      const onHeld = (to: string) => {
        if (to !== address.toLowerCase() && to !== address) return;
        clearTimeout(timer);
        this.arrivals.off('held', onHeld);
        resolve();
      };
      this.arrivals.on('held', onHeld);
    });
  }

  stop(): Promise<void> {
    return this.pause();
  }

  to(address: string): CaughtMail[] {
    return this.received.filter((m) => m.to === address.toLowerCase() || m.to === address);
  }

  /** Resolves with the first mail to `address` (already received or arriving within the timeout). */
  waitFor(address: string, timeoutMs = 20_000): Promise<CaughtMail> {
    const already = this.to(address)[0];
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.arrivals.off('mail', onMail);
        reject(new Error(`no mail to ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMail = (mail: CaughtMail) => {
        if (mail.to !== address.toLowerCase() && mail.to !== address) return;
        clearTimeout(timer);
        this.arrivals.off('mail', onMail);
        resolve(mail);
      };
      this.arrivals.on('mail', onMail);
    });
  }
}
