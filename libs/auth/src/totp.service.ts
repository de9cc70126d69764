import { Inject, Injectable } from '@nestjs/common';
import { generateSecret, generateURI, verify } from 'otplib';
import { toString as qrCode } from 'qrcode';
import { CLOCK, type Clock } from '@loomworks/common';

const ISSUER = 'Loomworks';
export const TOTP_PERIOD_SECONDS = 30;

/** RFC 6238 TOTP through otplib: SHA-1, 6 digits, 30 s steps, ±1 step of clock drift. */
@Injectable()
export class TotpService {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  newSecret(): string {
    return generateSecret();
  }

  otpauthUrl(secret: string, email: string): string {
    return generateURI({ issuer: ISSUER, label: email, secret });
  }

  /** The otpauth URL as an SVG QR code, for authenticator apps to scan. */
  qrSvg(otpauthUrl: string): Promise<string> {
    return qrCode(otpauthUrl, { type: 'svg', margin: 2 });
  }

  /**
   * The time step the code belongs to, or null. With `afterTimeStep`, only later steps pass:
   * the caller records each accepted step, so a code is accepted at most once.
   */
  async verify(secret: string, code: string, afterTimeStep?: number): Promise<number | null> {
    if (!/^\d{6}$/.test(code)) return null;
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(this.clock.now().getTime() / 1000),
      period: TOTP_PERIOD_SECONDS,
      epochTolerance: TOTP_PERIOD_SECONDS,
      afterTimeStep,
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }
}
