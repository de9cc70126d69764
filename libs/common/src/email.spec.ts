import { emailHint, InvalidEmailError, parseEmailAddress } from './email';

describe('email addresses', () => {
  it('reads the canonical address and its ASCII domain', () => {
    expect(parseEmailAddress('  José@Exämple.COM ')).toEqual({ address: 'josé@exämple.com', local: 'josé', domain: 'exämple.com', asciiDomain: 'xn--exmple-cua.com' });
  });

  it('refuses what is not a mailbox with a typed error', () => {
    expect(() => parseEmailAddress('user@localhost')).toThrow(InvalidEmailError);
  });

  it('masks addresses for display', () => {
    expect(emailHint('jane.doe@gmail.com')).toBe('j***@g***.com');
    expect(emailHint('Ömer@posteo.de')).toBe('ö***@p***.de');
  });
});
