import { apiKeySha256, generateApiKey, isApiKeyShaped, sameDigest } from './api-key';

describe('API keys', () => {
  it('are lw_ and 256 random bits, each different, with a short prefix kept in clear', () => {
    const keys = Array.from({ length: 100 }, generateApiKey);
    expect(new Set(keys.map((k) => k.key)).size).toBe(100);
    for (const { key, prefix, sha256 } of keys) {
      expect(key).toMatch(/^lw_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
      expect(isApiKeyShaped(key)).toBe(true);
      expect(key.startsWith(prefix)).toBe(true);
      expect(prefix).toHaveLength(11);
      expect(sha256.equals(apiKeySha256(key))).toBe(true);
    }
  });

  it('refuses anything not shaped like a key, and compares digests exactly', () => {
    const { key, sha256 } = generateApiKey();
    for (const bad of ['', 'lw_', `${key}x`, key.slice(0, -1), `sk_${key.slice(3)}`, `lw_${'!'.repeat(43)}`]) expect(isApiKeyShaped(bad)).toBe(false);
    expect(sameDigest(sha256, apiKeySha256(key))).toBe(true);
    expect(sameDigest(sha256, apiKeySha256(`${key.slice(0, -1)}A`))).toBe(key.endsWith('A'));
    expect(sameDigest(sha256, sha256.subarray(0, 31))).toBe(false);
  });
});
