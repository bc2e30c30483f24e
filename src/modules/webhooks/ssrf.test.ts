import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import { EMPTY_ALLOWLIST, addressRange, checkDestination, isPublicAddress, parseAllowlist, type ResolvedAddress } from './ssrf.js';

/** A resolver with fixed answers; unknown names resolve to nothing. */
function resolver(answers: Record<string, readonly string[]>) {
  return async (hostname: string): Promise<readonly ResolvedAddress[]> =>
    (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

describe('address classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
  ])('%s is %s and not public', (address, range) => {
    expect(addressRange(address)).toBe(range);
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([PUBLIC_V4, '8.8.8.8', '172.32.0.1', '100.128.0.1', PUBLIC_V6])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('refuses IPv6 forms that embed an IPv4 address (NAT64, 6to4)', () => {
    expect(isPublicAddress('64:ff9b::7f00:1')).toBe(false);
    expect(isPublicAddress('2002:7f00:1::')).toBe(false);
  });

  it('does not take text for an address', () => {
    expect(addressRange('localhost')).toBeUndefined();
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('checkDestination', () => {
  const resolve = resolver({ 'hooks.example.com': [PUBLIC_V4, PUBLIC_V6], 'localhost': ['127.0.0.1', '::1'], 'mixed.example.com': [PUBLIC_V4, '10.0.0.7'], 'metadata.example.com': ['169.254.169.254'] });
  const check = (url: string, allowed: readonly string[] = []) => checkDestination(url, { allowlist: parseAllowlist(allowed), resolve });

  it('accepts https to a host whose every address is public, with all its addresses', async () => {
    const result = await check('https://hooks.example.com/kosh?x=1');
    expect(result).toMatchObject({ ok: true, destination: { addresses: [{ address: PUBLIC_V4, family: 4 }, { address: PUBLIC_V6, family: 6 }] } });
    expect(await check(`https://${PUBLIC_V4}/hook`)).toMatchObject({ ok: true });
  });

  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['https://127.0.0.1:8443/', 'loopback'],
    ['https://[::1]/', 'loopback'],
    ['https://localhost/', 'loopback'],
    ['https://10.0.0.1/', 'private'],
    ['https://172.20.1.1/', 'private'],
    ['https://192.168.0.10/', 'private'],
    ['https://[fd00::1]/', 'uniqueLocal'],
    ['https://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['https://metadata.example.com/', 'linkLocal'],
    ['https://[fe80::1]/', 'linkLocal'],
    ['https://100.64.1.1/', 'carrierGradeNat'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://[::]/', 'unspecified'],
    ['https://239.1.1.1/', 'multicast'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://[::ffff:a9fe:a9fe]/', 'linkLocal'],
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://0177.0.0.1/', 'loopback'],
    ['https://017700000001/', 'loopback'],
    ['https://0xa9fea9fe/', 'linkLocal'],
    ['https://mixed.example.com/', 'private'],
  ])('refuses %s (%s)', async (url, range) => {
    const result = await check(url);
    expect(result).toMatchObject({ ok: false, code: 'webhook_url_forbidden' });
    expect(result.ok ? '' : result.message).toContain(`a ${range} address`);
  });

  it.each([
    ['ftp://hooks.example.com/', 'webhook_url_invalid'],
    ['file:///etc/passwd', 'webhook_url_invalid'],
    ['gopher://hooks.example.com/', 'webhook_url_invalid'],
    ['not a url', 'webhook_url_invalid'],
    ['/relative/path', 'webhook_url_invalid'],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, 'webhook_url_invalid'],
    ['https://user:pass@hooks.example.com/', 'webhook_url_credentials'],
    ['https://user@hooks.example.com/', 'webhook_url_credentials'],
    ['http://hooks.example.com/', 'webhook_url_insecure'],
    ['https://nowhere.example.com/', 'webhook_url_unresolvable'],
  ])('refuses %s with %s', async (url, code) => {
    expect(await check(url)).toMatchObject({ ok: false, code });
  });

  it('lets host entries of the allowlist permit a host as written, with or without a port', async () => {
    expect(await check('http://127.0.0.1:8081/hook', ['127.0.0.1'])).toMatchObject({ ok: true, destination: { addresses: [{ address: '127.0.0.1' }] } });
    expect(await check('http://127.0.0.1:8081/hook', ['127.0.0.1:8081'])).toMatchObject({ ok: true });
    expect(await check('http://127.0.0.1:8082/hook', ['127.0.0.1:8081'])).toMatchObject({ ok: false, code: 'webhook_url_forbidden' });
    expect(await check('https://[::1]/hook', ['[::1]'])).toMatchObject({ ok: true });
    // A host entry names a host as written: another name for the same address is not permitted.
    expect(await check('http://localhost:8081/hook', ['127.0.0.1'])).toMatchObject({ ok: false, code: 'webhook_url_forbidden' });
    expect(await check('http://localhost:8081/hook', ['LOCALHOST'])).toMatchObject({ ok: true });
  });

  it('lets CIDR entries permit resolved addresses, and http only when every address is allowlisted', async () => {
    expect(await check('https://mixed.example.com/', ['10.0.0.0/8'])).toMatchObject({ ok: true });
    expect(await check('http://mixed.example.com/', ['10.0.0.0/8'])).toMatchObject({ ok: false, code: 'webhook_url_insecure' });
    expect(await check('http://localhost/', ['127.0.0.0/8', '::1/128'])).toMatchObject({ ok: true });
    expect(await check('http://localhost/', ['127.0.0.0/8'])).toMatchObject({ ok: false, code: 'webhook_url_forbidden' });
  });

  it('checks the addresses of the moment: a name that now resolves inside is refused', async () => {
    let answer = [PUBLIC_V4];
    const rebinding = async (): Promise<readonly ResolvedAddress[]> => answer.map((address) => ({ address, family: 4 as const }));
    expect(await checkDestination('https://rebind.example.com/', { allowlist: EMPTY_ALLOWLIST, resolve: rebinding })).toMatchObject({ ok: true });
    answer = ['127.0.0.1'];
    expect(await checkDestination('https://rebind.example.com/', { allowlist: EMPTY_ALLOWLIST, resolve: rebinding })).toMatchObject({ ok: false, code: 'webhook_url_forbidden' });
  });

  it('treats a failing resolver as no address', async () => {
    const failing = async (): Promise<readonly ResolvedAddress[]> => {
      throw new Error('SERVFAIL');
    };
    expect(await checkDestination('https://hooks.example.com/', { allowlist: EMPTY_ALLOWLIST, resolve: failing })).toMatchObject({ ok: false, code: 'webhook_url_unresolvable' });
  });
});

describe('WEBHOOK_ALLOWED_HOSTS', () => {
  it.each(['127.0.0.1', '127.0.0.1:8081', 'localhost', 'hooks.internal:443', '[::1]', '[::1]:8080', '10.0.0.0/8', 'fd00::/8'])('accepts %s', (entry) => {
    expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: ` ${entry} ,8.8.8.8` }).WEBHOOK_ALLOWED_HOSTS).toEqual([entry, '8.8.8.8']);
  });
  it.each(['http://127.0.0.1', '10.0.0.0/99', '*.example.com', 'host:port', 'a b'])('refuses %j', (entry) => {
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: entry })).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
  });
  it('is empty by default', () => {
    expect(loadConfig({}).WEBHOOK_ALLOWED_HOSTS).toEqual([]);
  });
});
