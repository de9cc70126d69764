/**
 * Email identity for grant eligibility: two SHA-256 hashes of an address.
 *  - exact: the address as typed, trimmed, Unicode-NFC and lower-cased (persons' canonicalEmail,
 *    so a deleted person's anonymised address carries this same hash).
 *  - normalized: the mailbox the provider actually delivers to, so variants of one inbox
 *    (dots, +tags, alias domains) hash alike. Only documented provider rules are applied;
 *    for every other domain the normalized form equals the exact one.
 */
import { createHash } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { canonicalEmail } from '@loomworks/persons';
import { InvalidEmailError } from './errors';

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
// Printable, no whitespace, no angle brackets/quotes/commas: a bare addr-spec, not a display form.
const LOCAL_PART = /^[^\s@<>()[\]\\,;:"]+$/u;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The typed address in canonical form; InvalidEmailError when it is not a plausible mailbox. */
export function canonicalAddress(raw: string): { local: string; domain: string; asciiDomain: string } {
  const address = canonicalEmail(raw);
  if (address.length === 0) throw new InvalidEmailError('empty');
  if (address.length > 254) throw new InvalidEmailError('longer than 254 characters');
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1 || address.indexOf('@') !== at) {
    throw new InvalidEmailError('must be local@domain');
  }
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    throw new InvalidEmailError('malformed local part');
  }
  const asciiDomain = domainToASCII(domain);
  const labels = asciiDomain.split('.');
  if (asciiDomain === '' || labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    throw new InvalidEmailError('malformed domain');
  }
  return { local, domain, asciiDomain };
}

export function normalizedMailbox(raw: string): string {
  const { local, asciiDomain } = canonicalAddress(raw);
  const rule = PROVIDERS[asciiDomain];
  if (!rule) return `${local}@${asciiDomain}`;
  let mailbox = local;
  if (rule.plusTags) mailbox = mailbox.split('+')[0];
  if (rule.ignoresDots) mailbox = mailbox.replaceAll('.', '');
  if (mailbox === '') throw new InvalidEmailError('empty mailbox');
  return `${mailbox}@${rule.canonicalDomain ?? asciiDomain}`;
}

export function emailHashes(raw: string): EmailHashes {
  const { local, domain } = canonicalAddress(raw);
  const address = `${local}@${domain}`;
  return { address, exactHash: sha256(address), normalizedHash: sha256(normalizedMailbox(raw)) };
}

/** Masks an address for display to someone holding only a claim link: `j***@g***.com`. */
export function emailHint(raw: string): string {
  const { local, domain } = canonicalAddress(raw);
  const dot = domain.lastIndexOf('.');
  const [name, tld] = dot > 0 ? [domain.slice(0, dot), domain.slice(dot)] : [domain, ''];
  return `${[...local][0]}***@${[...name][0]}***${tld}`;
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
