import { hostOf, isPublicAddress, webhookUrlProblem } from './webhook-url';

describe('webhook URLs', () => {
  it.each([
    'https://hooks.example.com/loomworks',
    'https://93.184.216.34/hook',
    'https://[2606:4700::1111]/hook',
  ])('accepts the public https endpoint %s', (url) => {
    expect(webhookUrlProblem(url, false)).toBeNull();
  });

  it.each([
    ['http://hooks.example.com/x', 'url must use https'],
    ['ftp://hooks.example.com/x', 'url must use https'],
    ['not a url', 'url must be an absolute URL'],
    ['https://user:pw@hooks.example.com/x', 'url must not carry credentials'],
    ['https://localhost/x', 'url must name a public host'],
    ['https://127.0.0.1:8080/x', 'url must name a public host'],
    ['https://10.1.2.3/x', 'url must name a public host'],
    ['https://172.20.0.5/x', 'url must name a public host'],
    ['https://192.168.1.1/x', 'url must name a public host'],
    ['https://169.254.169.254/latest/meta-data', 'url must name a public host'],
    ['https://[::1]/x', 'url must name a public host'],
    ['https://[fd00::1]/x', 'url must name a public host'],
    ['https://printer.local/x', 'url must name a public host'],
    ['https://intranet/x', 'url must name a public host'],
    // IPv6 transition forms that embed a private or metadata address, and other local ranges
    ['https://[64:ff9b::a9fe:a9fe]/x', 'url must name a public host'],
    ['https://[64:ff9b:1::a00:1]/x', 'url must name a public host'],
    ['https://[::a9fe:a9fe]/x', 'url must name a public host'],
    ['https://[::127.0.0.1]/x', 'url must name a public host'],
    ['https://[::]/x', 'url must name a public host'],
    ['https://[2002:7f00:1::1]/x', 'url must name a public host'],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x', 'url must name a public host'],
    ['https://[::ffff:0:7f00:1]/x', 'url must name a public host'],
    ['https://[::ffff:7f00:1]/x', 'url must name a public host'],
    ['https://[::ffff:a9fe:a9fe]/x', 'url must name a public host'],
    ['https://[fec0::1]/x', 'url must name a public host'],
    ['https://[100::1]/x', 'url must name a public host'],
    ['https://localhost./x', 'url must name a public host'],
    ['https://printer.local./x', 'url must name a public host'],
  ])('refuses %s: %s', (url, problem) => {
    expect(webhookUrlProblem(url, false)).toBe(problem);
  });

  it('with WEBHOOK_ALLOW_HTTP also takes http and local hosts, never another scheme', () => {
    expect(webhookUrlProblem('http://127.0.0.1:4000/hook', true)).toBeNull();
    expect(webhookUrlProblem('https://localhost/hook', true)).toBeNull();
    expect(webhookUrlProblem('ftp://127.0.0.1/hook', true)).toBe('url must use https or http');
  });

  it('tells public from non-public addresses, IPv4-mapped IPv6 included', () => {
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('::ffff:127.0.0.1')).toBe(false);
    expect(isPublicAddress('100.64.0.1')).toBe(false);
    expect(isPublicAddress('not-an-ip')).toBe(false);
    // IPv6 rules never swallow IPv4 addresses (Node's BlockList would match ::ffff:0:0/96 against them)
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('2606:4700::1111')).toBe(true);
  });

  it('takes the host as DNS does: no brackets, no trailing root dot', () => {
    expect(hostOf(new URL('https://[::1]:8443/x'))).toBe('::1');
    expect(hostOf(new URL('https://hooks.example.com./x'))).toBe('hooks.example.com');
  });
});
