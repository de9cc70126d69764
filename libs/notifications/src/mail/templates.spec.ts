import { MAIL_TEMPLATES, type MailMessage } from '@loomworks/outbox';
import { renderMail } from './templates';

const samples: Record<(typeof MAIL_TEMPLATES)[number], MailMessage> = {
  claim_link: { template: 'claim_link', to: 'a@x.com', params: { claimUrl: 'https://lw.example/claim?token=T1', asset: 'sonnet', amount: '1234567', expiresAt: '2026-07-01T09:05:00.000Z' } },
  claim_link_reissued: { template: 'claim_link_reissued', to: 'a@x.com', params: { claimUrl: 'https://lw.example/claim?token=T2', asset: 'haiku', amount: '500', expiresAt: '2026-07-01T09:05:00.000Z' } },
  signup_code: { template: 'signup_code', to: 'a@x.com', params: { code: '482913', expiresAt: '2026-07-01T09:05:00.000Z' } },
  recovery_link: { template: 'recovery_link', to: 'a@x.com', params: { recoveryUrl: 'https://lw.example/recover?token=R1', expiresAt: '2026-07-02T00:00:00.000Z' } },
  low_balance: { template: 'low_balance', to: 'a@x.com', params: { asset: 'opus', balance: '80', threshold: '100' } },
  credit_exhausted: { template: 'credit_exhausted', to: 'a@x.com', params: { asset: 'opus' } },
  pool_low: { template: 'pool_low', to: 'a@x.com', params: { engagementName: 'Research', asset: 'haiku', balance: '80', threshold: '100' } },
};

describe('mail templates', () => {
  it.each(MAIL_TEMPLATES)('%s has a subject, a text part and an HTML part', (template) => {
    const rendered = renderMail(samples[template]);
    expect(rendered.subject.length).toBeGreaterThan(5);
    expect(rendered.text).toContain('— Loomworks');
    expect(rendered.html).toMatch(/^<!doctype html>/);
  });

  it('puts the link in both parts and the expiry in words', () => {
    const { text, html } = renderMail(samples.claim_link);
    expect(text).toContain('\nhttps://lw.example/claim?token=T1\n');
    expect(html).toContain('href="https://lw.example/claim?token=T1"');
    expect(text).toContain('1,234,567 sonnet credits');
    expect(text).toContain('until 1 July 2026, 09:05 UTC');
  });

  it('says a re-issued link replaces the earlier one', () => {
    expect(renderMail(samples.claim_link_reissued).text).toContain('the earlier link no longer works');
    expect(renderMail(samples.claim_link).text).not.toContain('earlier link');
  });

  it('shows the signup code and the recovery consequences', () => {
    expect(renderMail(samples.signup_code).text).toContain('\n482913\n');
    expect(renderMail(samples.recovery_link).text).toContain('every signed-in device is signed out');
    expect(renderMail(samples.low_balance).text).toContain('down to 80 credits, below 100');
  });

  it('escapes what it puts into HTML', () => {
    const html = renderMail({ ...samples.low_balance, params: { asset: '<b>x</b>', balance: '1', threshold: '2' } } as MailMessage).html;
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});
