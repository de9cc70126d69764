import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress } from 'node:dns';

/**
 * POSTs `body` to `url`, connecting to `target` — the address the caller resolved and checked —
 * instead of letting the client resolve the host a second time (a name that answered a public
 * address to the check could answer a private one to the connection: DNS rebinding). TLS still
 * verifies the certificate against the URL's host name. Redirects are not followed. Answers
 * the response status; the response body is discarded.
 */
export function postToAddress(url: URL, target: LookupAddress, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
        // Node asks for one address or for all of them (happy eyeballs); both get the checked one.
        lookup: (_host, options, callback) => {
          if (options.all) callback(null, [target]);
          else callback(null, target.address, target.family);
        },
      },
      (response: IncomingMessage) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
