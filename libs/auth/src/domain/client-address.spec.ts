import { throttleSubject } from './client-address';

describe('throttle subjects', () => {
  it('keys IPv6 clients by their /64, whatever the spelling', () => {
    const subject = '2001:db8:1:2::/64';
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:7', '2001:db8:1:2::1%eth0']) {
      expect(throttleSubject(address)).toBe(subject);
    }
    expect(throttleSubject('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(throttleSubject('::1')).toBe('0:0:0:0::/64');
    expect(throttleSubject('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(throttleSubject('2001:db8::1.2.3.4')).toBe('2001:db8:0:0::/64');
  });

  it('keys IPv4 (and IPv4-mapped) clients by their address', () => {
    expect(throttleSubject('198.51.100.7')).toBe('198.51.100.7');
    expect(throttleSubject('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });
});
