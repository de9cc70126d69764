import { createTransport } from 'nodemailer';
import type { AppConfig } from '@loomworks/config';

/** Sends one rendered mail; the production binding is nodemailer over SMTP_URL. */
export interface MailTransport {
  send(mail: { from: string; to: string; subject: string; text: string; html: string; messageId: string }): Promise<void>;
  close(): void;
}

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

/**
 * nodemailer over SMTP_URL. Timeouts are bounded well below the outbox lease, so a hung server
 * fails the attempt (and it is retried) long before another worker could claim the same mail.
 */
export function smtpTransport(config: AppConfig): MailTransport | null {
  if (!config.mail.smtpUrl) return null;
  const transporter = createTransport({
    url: config.mail.smtpUrl,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    send: async (mail) => {
      await transporter.sendMail(mail);
    },
    close: () => transporter.close(),
  };
}
