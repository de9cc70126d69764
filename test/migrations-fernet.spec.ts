import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fernetDecrypt, parseFernetKey } from '@loomworks/system-config';
import { sealSetting as seedSystemConfig } from '../migrations/1764000001000-SeedSystemConfig';
import { sealSetting as seedHoldSettings } from '../migrations/1764100002000-SeedHoldSettings';
import { sealSetting as seedOperationsSettings } from '../migrations/1764400002000-SeedOperationsSettings';

/**
 * The seed migrations carry their own Fernet encryption (they may not import the app); each copy
 * must produce the spec's tokens and tokens the app's SecretBox reads.
 */
interface GenerateVector {
  token: string;
  now: string;
  iv: number[];
  src: string;
  secret: string;
}
const VECTORS: GenerateVector[] = JSON.parse(readFileSync(join(__dirname, 'vectors/fernet/generate.json'), 'utf8'));

describe.each([
  ['SeedSystemConfig', seedSystemConfig],
  ['SeedHoldSettings', seedHoldSettings],
  ['SeedOperationsSettings', seedOperationsSettings],
])('%s migration encryption', (_name, seal) => {
  it.each(VECTORS.map((v, i) => [i, v] as const))('matches the Fernet spec vector %i', (_i, v) => {
    expect(seal(v.secret, v.src, new Date(v.now), Buffer.from(v.iv))).toBe(v.token);
  });

  it('writes what the app decrypts', () => {
    const secret = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
    const token = seal(secret, JSON.stringify({ haiku: 100 }), new Date());
    expect(JSON.parse(fernetDecrypt(parseFernetKey(secret), token).toString('utf8'))).toEqual({ haiku: 100 });
  });

  it('refuses a missing or malformed key', () => {
    expect(() => seal(undefined, 'x', new Date())).toThrow('LOOMWORKS_SECRET_KEY');
    expect(() => seal('short', 'x', new Date())).toThrow('LOOMWORKS_SECRET_KEY');
  });
});
