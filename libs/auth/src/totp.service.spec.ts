import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'otplib';
import { TotpService } from './totp.service';

// RFC 6238 Appendix B (SHA-1) and RFC 4226 Appendix D rows from test/vectors/totp, as they are.
const vectors = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/totp/rfc6238-sha1.json'), 'utf8')) as {
  secretAscii: string;
  totp: { step: number; digits: 8; cases: { unixTime: number; code: string }[] };
  hotp: { digits: 6; cases: string[] };
};
const secret = new TextEncoder().encode(vectors.secretAscii);

describe('TOTP (otplib, as configured here)', () => {
  it.each(vectors.totp.cases)('RFC 6238: at $unixTime the code is $code', async ({ unixTime, code }) => {
    expect(await generate({ secret, epoch: unixTime, period: vectors.totp.step, digits: vectors.totp.digits, algorithm: 'sha1' })).toBe(code);
  });

  it.each(vectors.hotp.cases.map((code, counter) => ({ code, counter })))('RFC 4226: counter $counter gives $code', async ({ code, counter }) => {
    expect(await generate({ secret, strategy: 'hotp', counter, digits: vectors.hotp.digits })).toBe(code);
  });

  describe('TotpService.verify', () => {
    const now = 1_111_111_111;
    const service = new TotpService({ now: () => new Date(now * 1000) });
    const base32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // the same secret, as authenticator apps hold it

    it('accepts the current step and ±1, returning the step, and nothing further', async () => {
      const codeAt = (t: number) => generate({ secret: base32, epoch: t });
      const step = Math.floor(now / 30);
      expect(await service.verify(base32, await codeAt(now))).toBe(step);
      expect(await service.verify(base32, await codeAt(now - 30))).toBe(step - 1);
      expect(await service.verify(base32, await codeAt(now + 30))).toBe(step + 1);
      expect(await service.verify(base32, await codeAt(now - 60))).toBeNull();
      expect(await service.verify(base32, await codeAt(now + 60))).toBeNull();
    });

    it('refuses steps at or before the last accepted one (a code works once)', async () => {
      const code = await generate({ secret: base32, epoch: now });
      const step = Math.floor(now / 30);
      expect(await service.verify(base32, code, step - 1)).toBe(step);
      expect(await service.verify(base32, code, step)).toBeNull();
    });

    it('refuses malformed codes without asking otplib', async () => {
      for (const code of ['', '12345', '1234567', 'abcdef', ' 12345']) expect(await service.verify(base32, code)).toBeNull();
    });
  });
});
