/**
 * The guard against server-side request forgery for outbound webhooks. A URL may be called only
 * when every address its host resolves to is a public unicast address: loopback, private,
 * link-local (with the cloud metadata address 169.254.169.254), carrier-grade NAT, unspecified,
 * multicast, broadcast, reserved and documentation ranges are refused, in IPv4 and IPv6 alike, and
 * IPv6 forms that embed an IPv4 address (::ffff:127.0.0.1, NAT64, 6to4, Teredo) are judged by what
 * they embed or refused. Numeric IPv4 spellings (2130706433, 0x7f.1, 0177.0.0.1) are normalised by
 * the WHATWG URL parser before the check, so they are judged as the address they name.
 *
 * The check runs at registration and again before every delivery, and the delivery connects to the
 * very addresses checked (see deliver.ts), so a DNS answer that changes in between (rebinding) cannot
 * steer a request inside. Plain http is refused unless the destination is allowlisted.
 *
 * WEBHOOK_ALLOWED_HOSTS lists exceptions, comma-separated: `host` or `host:port` entries match the
 * URL's host as written (`127.0.0.1:8081`, `hooks.internal`, `[::1]`), CIDR entries
 * (`10.20.0.0/16`) match the addresses a host resolves to.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export const WEBHOOK_URL_LENGTH_MAX = 2048;

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to all its addresses (A and AAAA). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface Allowlist {
  /** `host` (any port) or `host:port`, lower case; IPv6 hosts in brackets. */
  readonly hosts: ReadonlySet<string>;
  readonly cidrs: readonly (readonly [ipaddr.IPv4 | ipaddr.IPv6, number])[];
}

export const EMPTY_ALLOWLIST: Allowlist = { hosts: new Set(), cidrs: [] };

/** Parses WEBHOOK_ALLOWED_HOSTS entries (already validated by the configuration). */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const hosts = new Set<string>();
  const cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const entry of entries) {
    if (entry.includes('/')) cidrs.push(ipaddr.parseCIDR(entry));
    else hosts.add(entry.toLowerCase());
  }
  return { hosts, cidrs };
}

/**
 * The range of an address as ipaddr.js names it ('unicast' is a public address; 'loopback',
 * 'private', 'linkLocal', 'carrierGradeNat', 'unspecified', 'multicast', ... are not), after
 * unwrapping IPv4-mapped IPv6. Undefined when the text is no address.
 */
export function addressRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  return ipaddr.process(address).range();
}

/** Whether an address is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  return addressRange(address) === 'unicast';
}

function inCidrs(address: string, allowlist: Allowlist): boolean {
  const parsed = ipaddr.process(address);
  return allowlist.cidrs.some(([network, bits]) => parsed.kind() === network.kind() && parsed.match(network, bits));
}

function hostAllowlisted(url: URL, allowlist: Allowlist): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return allowlist.hosts.has(host) || allowlist.hosts.has(`${host}:${port}`);
}

/** A destination that passed the guard: the URL and the addresses to connect to. */
export interface Destination {
  readonly url: URL;
  readonly addresses: readonly ResolvedAddress[];
}

export type GuardRefusal =
  | 'webhook_url_invalid'
  | 'webhook_url_credentials'
  | 'webhook_url_insecure'
  | 'webhook_url_unresolvable'
  | 'webhook_url_forbidden';

export type GuardResult = { readonly ok: true; readonly destination: Destination } | { readonly ok: false; readonly code: GuardRefusal; readonly message: string };

const refuse = (code: GuardRefusal, message: string): GuardResult => ({ ok: false, code, message });

/** The URL's host without the brackets of an IPv6 literal. */
function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Checks a webhook URL and resolves its destination. Refusals: webhook_url_invalid (not an absolute
 * http(s) URL, too long), webhook_url_credentials (user or password in the URL),
 * webhook_url_unresolvable (no address), webhook_url_forbidden (an address that is not public and
 * not allowlisted), webhook_url_insecure (http to a destination that is not allowlisted).
 */
export async function checkDestination(text: string, options: { allowlist: Allowlist; resolve: Resolver }): Promise<GuardResult> {
  if (text.length > WEBHOOK_URL_LENGTH_MAX) return refuse('webhook_url_invalid', `url must be at most ${WEBHOOK_URL_LENGTH_MAX} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('webhook_url_invalid', 'url must be an absolute https URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('webhook_url_invalid', 'url must be an https URL.');
  if (url.username !== '' || url.password !== '') {
    return refuse('webhook_url_credentials', 'url must not carry a user name or password; authenticate deliveries by their signature.');
  }
  const host = bareHost(url);
  let addresses: readonly ResolvedAddress[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }];
  } else {
    try {
      addresses = await options.resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) return refuse('webhook_url_unresolvable', `The host ${host} of url does not resolve to any address.`);
  }
  const byHost = hostAllowlisted(url, options.allowlist);
  const permitted = addresses.map(({ address }) => byHost || inCidrs(address, options.allowlist));
  for (const [index, { address }] of addresses.entries()) {
    const range = addressRange(address) ?? 'invalid';
    if (range !== 'unicast' && permitted[index] !== true) {
      return refuse('webhook_url_forbidden', `url resolves to a ${range} address, which webhooks may not call (only public addresses, unless allowlisted).`);
    }
  }
  // Plain http only where every address is allowlisted (test receivers, internal hosts).
  if (url.protocol === 'http:' && !permitted.every(Boolean)) return refuse('webhook_url_insecure', 'url must use https.');
  return { ok: true, destination: { url, addresses } };
}

/** Resolves with the system resolver, within a time limit. */
export function systemResolver(timeoutMs: number): Resolver {
  return async (hostname) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`DNS lookup of ${hostname} timed out`)), timeoutMs);
    });
    try {
      const found = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
      return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
    } finally {
      clearTimeout(timer);
    }
  };
}
