/**
 * Email identity for grant eligibility: two SHA-256 hashes of an address.
 *  - exact: the address as typed, trimmed, Unicode-NFC and lower-cased (common's canonicalEmail,
 *    so a deleted person's anonymised address carries this same hash).
 *  - normalized: the mailbox the provider actually delivers to, so variants of one inbox
 *    (dots, +tags, alias domains) hash alike. Only documented provider rules are applied;
 *    for every other domain the normalized form equals the exact one.
 */
import { createHash } from 'node:crypto';
import { canonicalEmail, InvalidEmailError, parseEmailAddress } from '@loomworks/common';

export interface EmailHashes {
  /** the canonical typed address (trimmed, NFC, lower-case) */
  address: string;
  exactHash: string;
  normalizedHash: string;
}

interface ProviderRule {
  /** the domain all aliases normalize to */
  canonicalDomain?: string;
  /** sub-addressing: everything from the first `+` in the local part is ignored */
  plusTags: boolean;
  /** the provider ignores dots in the local part */
  ignoresDots: boolean;
}

const GMAIL: ProviderRule = { canonicalDomain: 'gmail.com', plusTags: true, ignoresDots: true };
const PLUS_ONLY: ProviderRule = { plusTags: true, ignoresDots: false };

/**
 * Provider rules, each from the provider's documentation of its own addresses:
 * Gmail ignores dots and +tags, googlemail.com is the same service; Outlook.com family
 * (outlook, hotmail, live, msn) delivers +tags to the base mailbox; iCloud Mail (icloud, me, mac),
 * Proton Mail (proton.me, protonmail.com/.ch, pm.me) and Fastmail (fastmail.com/.fm) document +tags.
 */
const PROVIDERS: Readonly<Record<string, ProviderRule>> = {
  'gmail.com': GMAIL,
  'googlemail.com': GMAIL,
  'outlook.com': PLUS_ONLY,
  'hotmail.com': PLUS_ONLY,
  'live.com': PLUS_ONLY,
  'msn.com': PLUS_ONLY,
  'icloud.com': PLUS_ONLY,
  'me.com': PLUS_ONLY,
  'mac.com': PLUS_ONLY,
  'proton.me': PLUS_ONLY,
  'protonmail.com': PLUS_ONLY,
  'protonmail.ch': PLUS_ONLY,
  'pm.me': PLUS_ONLY,
  'fastmail.com': PLUS_ONLY,
  'fastmail.fm': PLUS_ONLY,
};

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
export function normalizedMailbox(raw: string): string {
  const { local, asciiDomain } = parseEmailAddress(raw);
  const rule = PROVIDERS[asciiDomain];
  if (!rule) return `${local}@${asciiDomain}`;
  let mailbox = local;
  if (rule.plusTags) mailbox = mailbox.split('+')[0];
  if (rule.ignoresDots) mailbox = mailbox.replaceAll('.', '');
  if (mailbox === '') throw new InvalidEmailError('empty mailbox');
  return `${mailbox}@${rule.canonicalDomain ?? asciiDomain}`;
}

export function emailHashes(raw: string): EmailHashes {
  const { address } = parseEmailAddress(raw);
  return { address, exactHash: sha256(address), normalizedHash: sha256(normalizedMailbox(raw)) };
}

/**
 * Hashes for an address already stored (e.g. a person being deleted): never fails, so a legacy
 * or odd address still gets its exact hash into the registry (normalized = exact then).
 */
export function storedEmailHashes(raw: string): EmailHashes {
  try {
    return emailHashes(raw);
  } catch {
    const address = canonicalEmail(raw);
    return { address, exactHash: sha256(address), normalizedHash: sha256(address) };
  }
}
