/**
 * Which webhook destinations Vigil will post to: https, or http to a loopback address (a
 * receiver on the same machine); never with credentials, a query or a fragment (they would be
 * copied into every match record); never to a private, link-local, metadata or otherwise
 * non-public address, checked on the URL's literal address here and again on every address a
 * host name resolves to when the alert step connects (and on each redirect). `vigil rules
 * check`, the match step and the alert step share these rules.
 */
import { BlockList, isIP } from 'node:net';

const refused = new BlockList();
// IPv4: "this network", private (RFC 1918), carrier-grade NAT, link-local (cloud metadata at
// 169.254.169.254), IETF protocol assignments, documentation, benchmarking, multicast, reserved.
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const)
  refused.addSubnet(net, prefix, 'ipv4');
// IPv6: unspecified, unique-local (fc00::/7, incl. AWS's fd00:ec2::254 metadata), link-local,
// multicast, documentation, NAT64 and IPv4-mapped forms (their IPv4 part is checked on its own).
for (const [net, prefix] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const)
  refused.addSubnet(net, prefix, 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it is. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isLoopback(address: string): boolean {
  const a = unmapped(address);
  return loopback.check(a.address, a.family);
}

/** Why Vigil will not connect to this IP address, or undefined when it may. */
export function addressProblem(address: string): string | undefined {
  const a = unmapped(address);
  if (isIP(a.address) === 0) return `${address} is not an IP address`;
  if (loopback.check(a.address, a.family)) return undefined;
  if (refused.check(a.address, a.family)) return `${address} is a private, link-local or reserved address`;
  return undefined;
}

/** The host of a URL without IPv6 brackets. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Why `text` is not a webhook URL Vigil posts to, or undefined. Host names are checked when resolved. */
export function webhookUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'carries credentials; a receiver checks the signature instead';
  if (url.search || url.hash || text.includes('?') || text.includes('#'))
    return 'carries a query or fragment, which every match record would copy; a receiver checks the signature instead';
  const host = urlHost(url);
  const literal = isIP(host) !== 0;
  if (url.protocol === 'http:') {
    if (!(literal ? isLoopback(host) : host === 'localhost')) return 'uses http://; use https:// (http:// only to a loopback address)';
  } else if (url.protocol !== 'https:') {
    return `uses ${url.protocol}//; use https://`;
  }
  if (literal) {
    const problem = addressProblem(host);
    if (problem) return `points at ${problem}`;
  }
  return undefined;
}
