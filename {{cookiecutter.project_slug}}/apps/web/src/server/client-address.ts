import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import ipaddr from 'ipaddr.js';
import type { Config } from './config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address, normalised (`::ffff:1.2.3.4` is `1.2.3.4`): the `ip` of the logs and
     *  the visitor address the backend is told. */
    clientIp: string;
    /** What the rate limit counts: the address, or for IPv6 its /64 (one subscriber's network). */
    clientKey: string;
  }
}

/**
 * `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is `1.2.3.4`; IPv6 in its one canonical
 * spelling, so `2001:DB8::1` and `2001:db8:0::1` are one client. Anything unparsable is kept as is.
 */
export function normalizeAddress(address: string): string {
  return isIP(address) === 0 ? address : ipaddr.process(address).toString();
}

/**
 * The rate-limit key of a normalised address: IPv4 as is; IPv6 by its first 64 bits, since one
 * subscriber usually holds a whole /64 and could otherwise take a fresh address per request.
 */
export function limitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const { parts } = ipaddr.IPv6.parse(address);
  return `${new ipaddr.IPv6([...parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}

/** `a.b.c.d/n` or a single address (a range of one). */
function parseRange(range: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (range.includes('/')) return ipaddr.parseCIDR(range);
  const address = ipaddr.parse(range);
  return [address, address.kind() === 'ipv6' ? 128 : 32];
}

/** Whether a normalised address lies in one of `ranges` (parsed CIDRs of either family). */
function inRanges(address: string, ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][]): boolean {
  if (isIP(address) === 0) return false;
  const parsed = ipaddr.parse(address);
  return ranges.some((range) => parsed.kind() === range[0].kind() && parsed.match(range));
}

/**
 * Where the client address comes from, so that it cannot be chosen by the client:
 * - on Fly, Fly-Client-IP, which Fly's proxy sets on every request it forwards;
 * - elsewhere, `request.ip`: the socket's peer; when that peer is one of TRUSTED_PROXIES, the
 *   X-Forwarded-For entry that proxy added (Fastify's `trustProxy` with those addresses), so
 *   entries a client writes itself are never read;
 * - with a CDN in front (CDN_CLIENT_IP_HEADER), the CDN's header, but only when the address
 *   above is one of the CDN's own (CDN_TRUSTED_RANGES): anyone else could write that header.
 */
export function clientAddress(config: Config): (request: FastifyRequest) => string {
  const direct = directAddress(config);
  const { cdn } = config;
  if (cdn === null) return direct;
  const ranges = cdn.ranges.map(parseRange);
  return (request) => {
    const address = direct(request);
    const forwarded = request.headers[cdn.header];
    return typeof forwarded === 'string' && isIP(forwarded) !== 0 && inRanges(address, ranges)
      ? normalizeAddress(forwarded)
      : address;
  };
}

function directAddress(config: Config): (request: FastifyRequest) => string {
  if (!config.onFly) return (request) => normalizeAddress(request.ip);
  return (request) => {
    const flyClientIp = request.headers['fly-client-ip'];
    // Absent only on requests that did not come through Fly's proxy (the private network).
    return normalizeAddress(typeof flyClientIp === 'string' && isIP(flyClientIp) ? flyClientIp : request.ip);
  };
}

const ADDRESS = Symbol('clientAddress');

async function clientAddressPlugin(app: FastifyInstance, { config }: { config: Config }) {
  const resolve = clientAddress(config);
  // Computed once per request: the limiter, the logs and the backend client all ask for it.
  const addressOf = (request: FastifyRequest & { [ADDRESS]?: string }) => (request[ADDRESS] ??= resolve(request));
  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      return addressOf(this);
    },
  });
  app.decorateRequest('clientKey', {
    getter(this: FastifyRequest) {
      return limitKey(addressOf(this));
    },
  });
}

export default fp(clientAddressPlugin, { name: 'client-address' });
