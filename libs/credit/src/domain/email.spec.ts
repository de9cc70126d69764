import { createHash } from 'node:crypto';
import { anonymizedEmail } from '@loomworks/persons';
import { InvalidEmailError } from '@loomworks/common';
import { emailHashes, normalizedMailbox, storedEmailHashes } from './email';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('email hashes', () => {
  it('exact = SHA-256 of the trimmed, lower-cased address', () => {
    const h = emailHashes('  Ada.Lovelace+Notes@Example.COM\t');
    expect(h.address).toBe('ada.lovelace+notes@example.com');
    expect(h.exactHash).toBe(sha('ada.lovelace+notes@example.com'));
  });

  it('exact hash is the one in a deleted person\'s anonymised address', () => {
    expect(anonymizedEmail('Ada@Example.com')).toBe(`deleted_${emailHashes('ada@example.com').exactHash}@deleted.invalid`);
  });

  it.each([
    // Gmail: dots and +tags ignored, googlemail.com is gmail.com
    ['J.Doe+promo@gmail.com', 'jdoe@gmail.com'],
    ['j.d.o.e@googlemail.com', 'jdoe@gmail.com'],
    ['JDOE@GMAIL.COM', 'jdoe@gmail.com'],
    // Outlook family: +tags only, dots are significant
    ['j.doe+x@outlook.com', 'j.doe@outlook.com'],
    ['j.doe+x+y@hotmail.com', 'j.doe@hotmail.com'],
    ['j.doe+x@live.com', 'j.doe@live.com'],
    ['j.doe+x@msn.com', 'j.doe@msn.com'],
    // iCloud, Proton, Fastmail: +tags
    ['jd+shop@icloud.com', 'jd@icloud.com'],
    ['jd+shop@me.com', 'jd@me.com'],
    ['jd+shop@mac.com', 'jd@mac.com'],
    ['jd+shop@proton.me', 'jd@proton.me'],
    ['jd+shop@protonmail.com', 'jd@protonmail.com'],
    ['jd+shop@pm.me', 'jd@pm.me'],
    ['jd+shop@fastmail.com', 'jd@fastmail.com'],
    // Other providers: left exactly as typed (a + may be a real character there)
    ['j.doe+x@example.com', 'j.doe+x@example.com'],
    ['j.doe@yahoo.com', 'j.doe@yahoo.com'],
  ])('normalizes %s to %s', (raw, mailbox) => {
    expect(normalizedMailbox(raw)).toBe(mailbox);
    expect(emailHashes(raw).normalizedHash).toBe(sha(mailbox));
  });

  it('gives gmail variants one normalized hash and distinct exact hashes', () => {
    const a = emailHashes('jane.doe@gmail.com');
    const b = emailHashes('janedoe+x@googlemail.com');
    expect(a.normalizedHash).toBe(b.normalizedHash);
    expect(a.exactHash).not.toBe(b.exactHash);
  });

  it('treats Unicode canonically (NFC) and IDN domains by their ASCII form when normalizing', () => {
    const composed = emailHashes('josé@exämple.com');
    const decomposed = emailHashes('jose\u0301@exa\u0308mple.com');
    expect(decomposed.exactHash).toBe(composed.exactHash);
    expect(normalizedMailbox('José@Exämple.com')).toBe('josé@xn--exmple-cua.com');
    expect(emailHashes('ÅSA@EXAMPLE.COM').address).toBe('åsa@example.com');
  });

  it.each([
    [''],
    ['   '],
    ['plainaddress'],
    ['@example.com'],
    ['user@'],
    ['a@b@example.com'],
    ['user@localhost'],
    ['user@example..com'],
    ['user@-example.com'],
    ['user@example.123'],
    ['.user@example.com'],
    ['us..er@example.com'],
    ['user name@example.com'],
    ['"Jo" <jo@example.com>'],
    [`${'a'.repeat(65)}@example.com`],
    [`a@${'b'.repeat(250)}.com`],
    ['+tag@gmail.com'],
  ])('refuses malformed %j with a typed error', (raw) => {
    expect(() => emailHashes(raw)).toThrow(InvalidEmailError);
  });

  it('still hashes a stored address that fails validation', () => {
    expect(storedEmailHashes('legacy@localhost').exactHash).toBe(sha('legacy@localhost'));
  });
});
