import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fernetDecrypt, fernetEncrypt, FernetError, generateFernetKey, parseFernetKey } from './fernet';

// The Fernet spec's own vectors, loaded as they are from test/vectors/fernet.
const vectors = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../../../test/vectors/fernet', `${name}.json`), 'utf8'));

interface GenerateVector { token: string; now: string; iv: number[]; src: string; secret: string }
interface VerifyVector { token: string; now: string; ttl_sec: number; src: string; secret: string }
interface InvalidVector { desc: string; token: string; now: string; ttl_sec: number; secret: string }

describe('Fernet', () => {
  it.each(vectors('generate') as GenerateVector[])('generates the spec token for "$src"', (v) => {
    const token = fernetEncrypt(parseFernetKey(v.secret), v.src, { now: new Date(v.now), iv: Buffer.from(v.iv) });
    expect(token).toBe(v.token);
  });

  it.each(vectors('verify') as VerifyVector[])('verifies the spec token for "$src"', (v) => {
    const plain = fernetDecrypt(parseFernetKey(v.secret), v.token, { now: new Date(v.now), ttlSeconds: v.ttl_sec });
    expect(plain.toString('utf8')).toBe(v.src);
  });

  it.each(vectors('invalid') as InvalidVector[])('refuses: $desc', (v) => {
    expect(() =>
      fernetDecrypt(parseFernetKey(v.secret), v.token, { now: new Date(v.now), ttlSeconds: v.ttl_sec }),
    ).toThrow(FernetError);
  });

  it('round-trips unicode under a generated key and refuses another key', () => {
    const key = parseFernetKey(generateFernetKey());
    const token = fernetEncrypt(key, 'crédit ✓');
    expect(fernetDecrypt(key, token).toString('utf8')).toBe('crédit ✓');
    expect(() => fernetDecrypt(parseFernetKey(generateFernetKey()), token)).toThrow('bad signature');
  });

  it('refuses keys that are not 32 bytes of url-safe base64', () => {
    expect(() => parseFernetKey('short')).toThrow('32 bytes');
    expect(() => parseFernetKey('%'.repeat(44))).toThrow('32 bytes');
  });
});
