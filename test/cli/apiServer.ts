// A small real HTTP server that answers as the app's HTTP API would, from canned answers: the
// operator commands are tested over real HTTP for their output and exit codes (it is our own API,
// not an Azure service; the e2e test test/e2e/cli.test.ts runs them against the real one).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sent as is instead of JSON. */
  readonly text?: string;
}

/** Answers by `METHOD /path` (query ignored); a list is answered in turn, its last one repeated. */
export type Routes = Record<string, Answer | Answer[]>;

export interface ApiServer {
  readonly url: string;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

export async function startApiServer(routes: Routes): Promise<ApiServer> {
  const requests: Recorded[] = [];
  const served = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
      const answers = routes[route];
      const list = answers === undefined ? [] : Array.isArray(answers) ? answers : [answers];
      const n = served.get(route) ?? 0;
      served.set(route, n + 1);
      const answer = list[Math.min(n, list.length - 1)] ?? {
        status: 404,
        body: { error: { code: 'REQUEST.NOT_FOUND', message: `no canned answer for ${route}` } },
      };
      const text = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
      res.writeHead(answer.status, {
        ...(answer.text === undefined && answer.body !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
        ...answer.headers,
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
