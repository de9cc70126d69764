/**
 * The mails the system sends, as plain data: a template name, the recipient and the template's
 * parameters. Rendering (text + HTML) belongs to the notifications module; the outbox only stores
 * the message, encrypted, since several parameters are credentials (claim and recovery URLs, codes).
 * Amounts travel as decimal strings (bigint-safe JSON).
 */
export interface MailTemplateParams {
  /** a grant's claim URL, mailed when the grant is issued */
  claim_link: { claimUrl: string; asset: string; amount: string; expiresAt: string };
  /** the same after staff re-issued it (the earlier link stopped working) */
  claim_link_reissued: { claimUrl: string; asset: string; amount: string; expiresAt: string };
  /** the one-time code that proves a signup's mailbox */
  signup_code: { code: string; expiresAt: string };
  /** a staff-issued account recovery link */
  recovery_link: { recoveryUrl: string; expiresAt: string };
  /** a balance fell below its asset's low-balance threshold */
  low_balance: { asset: string; balance: string; threshold: string };
  /** a turn was refused because the credit ran out */
  credit_exhausted: { asset: string };
  /** a team pool's balance fell below its asset's low-balance threshold (to each owner) */
  pool_low: { engagementName: string; asset: string; balance: string; threshold: string };
}

export type MailTemplate = keyof MailTemplateParams;

export const MAIL_TEMPLATES: readonly MailTemplate[] = [
  'claim_link',
  'claim_link_reissued',
  'signup_code',
  'recovery_link',
  'low_balance',
  'credit_exhausted',
  'pool_low',
];

export type MailMessage = {
  [T in MailTemplate]: { template: T; to: string; params: MailTemplateParams[T] };
}[MailTemplate];

/** What API answers say about a mail: `off` = no SMTP_URL, nothing queued or sent. */
export interface MailStatus {
  status: 'queued' | 'off';
}

/** The job kind of a mail in `outbox_jobs`. */
export const MAIL_JOB_KIND = 'mail';
