import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postToAddress } from './pinned-post';

describe('a webhook delivery connects to the address that was checked', () => {
  let server: Server;
  let port: number;
  const received: { host?: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ host: request.headers.host, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('never resolves the host again: a name DNS cannot answer reaches the given address', async () => {
    // `.invalid` never resolves (RFC 6761): the request can only arrive through the given address.
    const url = new URL(`http://hooks.invalid:${port}/hook`);
    const status = await postToAddress(url, { address: '127.0.0.1', family: 4 }, { 'content-type': 'application/json' }, '{"a":1}', 5_000);
    expect(status).toBe(204);
    expect(received).toEqual([{ host: `hooks.invalid:${port}`, body: '{"a":1}' }]);
  });
});
