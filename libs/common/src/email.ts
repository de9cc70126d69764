/**
 * Email addresses as every module reads them: the canonical form, a validity check that throws a
 * typed error, and the masked hint shown to someone holding only a link. Credit's eligibility
 * hashing builds on these (libs/credit/src/domain/email.ts); signup, recovery and login use them
 * without reaching into credit.
 */
import { domainToASCII } from 'node:url';
import { DomainError } from './domain-error';

export class InvalidEmailError extends DomainError {
  readonly code = 'invalid_email';
  constructor(reason: string) {
    super(`Not a usable email address: ${reason}`);
  }
}

/** The address as typed, trimmed, Unicode-NFC and lower-cased: the key of the "exact" email hash. */
export function canonicalEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export interface EmailAddress {
  /** the canonical address, `local@domain` */
  address: string;
  local: string;
  domain: string;
  /** the domain in ASCII (punycode), as mail servers see it */
  asciiDomain: string;
}

// Printable, no whitespace, no angle brackets/quotes/commas: a bare addr-spec, not a display form.
const LOCAL_PART = /^[^\s@<>()[\]\\,;:"]+$/u;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The typed address in canonical form; InvalidEmailError when it is not a plausible mailbox. */
export function parseEmailAddress(raw: string): EmailAddress {
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
  return { address, local, domain, asciiDomain };
}

/** Masks an address for display to someone holding only a claim link: `j***@g***.com`. */
export function emailHint(raw: string): string {
  const { local, domain } = parseEmailAddress(raw);
  const dot = domain.lastIndexOf('.');
  const [name, tld] = dot > 0 ? [domain.slice(0, dot), domain.slice(dot)] : [domain, ''];
  return `${[...local][0]}***@${[...name][0]}***${tld}`;
}
