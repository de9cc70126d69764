/**
 * Fernet (https://github.com/fernet/spec): AES-128-CBC + HMAC-SHA256, url-safe base64.
 * Built on node:crypto because the npm implementations either wrap crypto-js without a
 * constant-time MAC check or cannot take the fixed time/IV the spec vectors need.
 *
 * token = 0x80 ‖ timestamp (u64 BE seconds) ‖ IV (16) ‖ ciphertext ‖ HMAC-SHA256(signing key, all before)
 * key   = signing key (16 bytes) ‖ encryption key (16 bytes)
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 0x80;
const HEADER = 1 + 8 + 16;
const MAC = 32;
const BLOCK = 16;
/** Tokens stamped further in the future than this are refused (the spec's clock-skew rule). */
const MAX_CLOCK_SKEW_SECONDS = 60;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export class FernetError extends Error {
  constructor(reason: string) {
    super(`invalid Fernet token: ${reason}`);
    this.name = 'FernetError';
  }
}

export interface FernetKey {
  signing: Buffer;
  encryption: Buffer;
}

export function parseFernetKey(key: string): FernetKey {
  const bytes = BASE64URL.test(key) ? Buffer.from(key, 'base64url') : Buffer.alloc(0);
  if (bytes.length !== 32) throw new Error('a Fernet key is 32 bytes in url-safe base64');
  return { signing: bytes.subarray(0, 16), encryption: bytes.subarray(16) };
}

export function generateFernetKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface EncryptOptions {
  /** defaults to the current time */
  now?: Date;
  /** defaults to 16 random bytes; fixed only by the spec's test vectors */
  iv?: Buffer;
}

export function fernetEncrypt(key: FernetKey, plaintext: string | Buffer, options: EncryptOptions = {}): string {
  const iv = options.iv ?? randomBytes(BLOCK);
  const header = Buffer.alloc(HEADER);
  header[0] = VERSION;
  header.writeBigUInt64BE(BigInt(Math.floor((options.now ?? new Date()).getTime() / 1000)), 1);
  iv.copy(header, 9);
  const cipher = createCipheriv('aes-128-cbc', key.encryption, iv);
  const body = Buffer.concat([header, cipher.update(plaintext), cipher.final()]);
  const mac = createHmac('sha256', key.signing).update(body).digest();
  // Padded url-safe base64, as other Fernet implementations emit it.
  return Buffer.concat([body, mac]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export interface DecryptOptions {
  /** defaults to the current time */
  now?: Date;
  /** maximum token age in seconds; no age limit when absent */
  ttlSeconds?: number;
}

export function fernetDecrypt(key: FernetKey, token: string, options: DecryptOptions = {}): Buffer {
  if (!BASE64URL.test(token)) throw new FernetError('not url-safe base64');
  const raw = Buffer.from(token, 'base64url');
  if (raw.length < HEADER + BLOCK + MAC) throw new FernetError('too short');
  if (raw[0] !== VERSION) throw new FernetError('unknown version');
  const ciphertextLength = raw.length - HEADER - MAC;
  if (ciphertextLength % BLOCK !== 0) throw new FernetError('ciphertext is not a whole number of blocks');

  const body = raw.subarray(0, raw.length - MAC);
  const expected = createHmac('sha256', key.signing).update(body).digest();
  if (!timingSafeEqual(expected, raw.subarray(raw.length - MAC))) throw new FernetError('bad signature');

  const issuedAt = Number(raw.readBigUInt64BE(1));
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (issuedAt > now + MAX_CLOCK_SKEW_SECONDS) throw new FernetError('timestamp too far in the future');
  if (options.ttlSeconds !== undefined && now > issuedAt + options.ttlSeconds) throw new FernetError('expired');

  try {
    const decipher = createDecipheriv('aes-128-cbc', key.encryption, raw.subarray(9, HEADER));
    return Buffer.concat([decipher.update(raw.subarray(HEADER, raw.length - MAC)), decipher.final()]);
  } catch {
    throw new FernetError('bad padding');
  }
}
