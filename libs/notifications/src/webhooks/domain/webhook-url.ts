import { BlockList, isIP } from 'node:net';

/**
 * Loopback, private, link-local, unique-local and other non-public ranges. A webhook must not
 * let whoever registers an endpoint make the server call into its own network (SSRF), unless
 * WEBHOOK_ALLOW_HTTP says this is a local setup.
 */
const NON_PUBLIC_V4 = new BlockList();
// Separate lists: Node's BlockList matches an IPv4 address against IPv6 rules covering ::ffff:0:0/96.
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
  // Transition forms that embed an IPv4 address (which may be a private one) or reach a local
  // network: refused whole rather than decoded, as no webhook receiver needs them.
  ['::', 96], // IPv4-compatible (and the unspecified address)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
  ['64:ff9b::', 96], // NAT64, well-known prefix
  ['64:ff9b:1::', 48], // NAT64, local-use prefix
  ['2002::', 16], // 6to4
  ['2001::', 32], // Teredo
  ['fec0::', 10], // site-local (deprecated, still routed inside some networks)
  ['100::', 64], // discard-only
] as const) {
  NON_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !NON_PUBLIC_V4.check(address, 'ipv4') : !NON_PUBLIC_V6.check(address, 'ipv6');
}

/** The URL's host as DNS and `net` take it: IPv6 without brackets, and without the root's trailing dot. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

const LOCAL_NAMES = /^(localhost|.*\.localhost|.*\.local|.*\.internal|.*\.home\.arpa)$/i;

/** Why a URL can't be a webhook endpoint, or null when it can. Host names are checked again, once resolved, at delivery. */
export function webhookUrlProblem(raw: string, allowHttp: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute URL';
  }
  if (raw.length > 2048) return 'url must be at most 2048 characters';
  if (url.username || url.password) return 'url must not carry credentials';
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    return allowHttp ? 'url must use https or http' : 'url must use https';
  }
  if (allowHttp) return null;
  const host = hostOf(url);
  if (isIP(host) ? !isPublicAddress(host) : LOCAL_NAMES.test(host) || !host.includes('.')) return 'url must name a public host';
  return null;
}
