// A local HTTPS server that records every request (method, path, query, headers, body bytes) and
// answers from routes the test declares. The adapters' tests point the REAL SDK clients at it, so
// they assert what actually goes on the wire. Self-signed certificate for 127.0.0.1, made per run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body exactly as received. */
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  /** Objects are sent as JSON; strings as they are. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Destroy the socket without answering (a connection reset). */
  readonly reset?: boolean;
}

export type Handler = (request: RecordedRequest, server: RecordingServer) => Reply | Promise<Reply>;

interface Route {
  readonly method: string;
  readonly path: string | RegExp;
  readonly handler: Handler;
}

export interface Certificate {
  readonly cert: string;
  readonly key: string;
}

/** A self-signed certificate for 127.0.0.1 that also serves as its own CA. */
export async function makeCertificate(): Promise<Certificate> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  private routes: Route[] = [];
  private readonly sockets = new Set<Duplex>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    readonly caPem: string,
    /** The certificate written to a file, as ARM_CA_CERT_PATH expects. */
    readonly caPath: string,
    private readonly dir: string,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    server.on('connection', (socket: Duplex) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(certificate?: Certificate): Promise<RecordingServer> {
    const { cert, key } = certificate ?? (await makeCertificate());
    const dir = mkdtempSync(join(tmpdir(), 'recording-server-'));
    const caPath = join(dir, 'ca.pem');
    writeFileSync(caPath, cert);
    const server = createServer({ cert, key });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new RecordingServer(server, `https://127.0.0.1:${port}`, cert, caPath, dir);
  }

  /** Declares an answer; later declarations for the same method and path win. */
  on(method: string, path: string | RegExp, handler: Handler | Reply): this {
    const h: Handler = typeof handler === 'function' ? handler : () => handler;
    this.routes.unshift({ method: method.toUpperCase(), path, handler: h });
    return this;
  }

  /** Answers the next calls with `replies` in order, then with the last one. */
  sequence(method: string, path: string | RegExp, replies: readonly Reply[]): this {
    let i = 0;
    return this.on(method, path, () => replies[Math.min(i++, replies.length - 1)] ?? { status: 500 });
  }

  /** Requests recorded so far, optionally only one method and path. */
  recorded(method?: string, path?: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        (method === undefined || r.method === method.toUpperCase()) &&
        (path === undefined || matches(path, r.path)),
    );
  }

  reset(): void {
    this.requests.length = 0;
    this.routes = [];
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.baseUrl);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(recorded);
    const route = this.routes.find((r) => r.method === recorded.method && matches(r.path, recorded.path));
    const reply: Reply = route
      ? await route.handler(recorded, this)
      : {
          status: 404,
          body: { error: { code: 'NoRoute', message: `no route for ${recorded.method} ${recorded.path}` } },
        };
    if (reply.reset === true) {
      req.socket.destroy();
      return;
    }
    const text =
      reply.body === undefined
        ? ''
        : typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(reply.body !== undefined &&
        typeof reply.body !== 'string' && { 'content-type': 'application/json' }),
      ...reply.headers,
    });
    res.end(text);
  }
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}
