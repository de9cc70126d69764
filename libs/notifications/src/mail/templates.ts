import type { MailMessage } from '@loomworks/outbox';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** "2026-12-01T10:00:00.000Z" → "1 December 2026, 10:00 UTC": dates in mails are for people. */
function readableTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** Groups digits by thousands without going through a float: "1234567" → "1,234,567". */
const credits = (amount: string): string => amount.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * A mail is a subject and paragraphs; a paragraph may be a link (shown as a button in HTML,
 * on its own line in text) or a code.
 */
type Block = { p: string } | { link: string; label: string } | { code: string };

function compose(subject: string, blocks: Block[]): RenderedMail {
  const text = blocks.map((b) => ('p' in b ? b.p : 'link' in b ? b.link : b.code)).join('\n\n') + '\n\n— Loomworks\n';
  const body = blocks
    .map((b) =>
      'p' in b
        ? `<p>${escapeHtml(b.p)}</p>`
        : 'link' in b
          ? `<p><a href="${escapeHtml(b.link)}" style="display:inline-block;padding:10px 16px;background:#1f4fd1;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(b.label)}</a></p>\n<p style="font-size:13px;color:#555">Or open this address: ${escapeHtml(b.link)}</p>`
          : `<p style="font-size:24px;font-weight:bold;letter-spacing:4px;font-family:monospace">${escapeHtml(b.code)}</p>`,
    )
    .join('\n');
  const html = `<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.5;color:#111;max-width:560px">\n${body}\n<p>— Loomworks</p>\n</body></html>\n`;
  return { subject, text, html };
}

/** Text and HTML parts of each mail, in plain words. */
export function renderMail(mail: MailMessage): RenderedMail {
  switch (mail.template) {
    case 'claim_link':
    case 'claim_link_reissued': {
      const p = mail.params;
      const reissued = mail.template === 'claim_link_reissued';
      return compose(reissued ? 'Your new link to claim your Loomworks credit' : 'You have Loomworks credit to claim', [
        { p: `You have been given ${credits(p.amount)} ${p.asset} credits on Loomworks.` },
        ...(reissued ? [{ p: 'This link replaces the one we sent before; the earlier link no longer works.' }] : []),
        { p: `To claim them, open the link below and create your account with a passkey and an authenticator app. The link works once, until ${readableTime(p.expiresAt)}.` },
        { link: p.claimUrl, label: 'Claim your credit' },
        { p: 'Keep this link to yourself: whoever opens it first can claim the credit. If you did not expect this mail, you can ignore it.' },
      ]);
    }
    case 'signup_code':
      return compose('Your Loomworks sign-up code', [
        { p: 'Enter this code to confirm your address and finish signing up:' },
        { code: mail.params.code },
        { p: `It works once, until ${readableTime(mail.params.expiresAt)}. If you did not start a sign-up, ignore this mail: no account is created without the code.` },
      ]);
    case 'recovery_link':
      return compose('Recover your Loomworks account', [
        { p: 'Our staff issued a link for you to recover your Loomworks account.' },
        { p: `Open it to register a new passkey and authenticator app. Your old passkeys and authenticator stop working, and every signed-in device is signed out. The link works once, until ${readableTime(mail.params.expiresAt)}.` },
        { link: mail.params.recoveryUrl, label: 'Recover your account' },
        { p: 'If you did not ask for this, contact us before using the link.' },
      ]);
    case 'low_balance':
      return compose(`Your ${mail.params.asset} credit is running low`, [
        { p: `Your ${mail.params.asset} balance is down to ${credits(mail.params.balance)} credits, below ${credits(mail.params.threshold)}.` },
        { p: 'When it runs out, conversations move to a lower tier or stop. Ask us for more credit if you need it.' },
      ]);
    case 'credit_exhausted':
      return compose(`Your ${mail.params.asset} credit has run out`, [
        { p: `A conversation turn was refused because your ${mail.params.asset} credit has run out.` },
        { p: 'Ask us for more credit to continue.' },
      ]);
    case 'pool_low':
      return compose(`Your team ${mail.params.engagementName} is running low on ${mail.params.asset} credit`, [
        { p: `The ${mail.params.asset} balance of the team ${mail.params.engagementName}'s pool is down to ${credits(mail.params.balance)} credits, below ${credits(mail.params.threshold)}.` },
        { p: 'When it runs out, the team\'s conversations move to a lower tier or stop. Ask us to fund the pool if the team needs more.' },
      ]);
  }
}
