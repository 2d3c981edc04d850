import { request } from 'node:http';

/** What a raw POST got: the status and the parsed JSON body (`{}` if none). */
export interface RawAnswer {
  status: number;
  body: {
    message?: string;
    field?: string;
    accepted?: number;
    firstSeq?: number;
    [key: string]: unknown;
  };
}

/**
 * POSTs `chunks` to `url + path` with `headers`: chunked (no
 * Content-Length) unless the headers give one. Rejects after `timeoutMs`
 * without an answer: a server that does not answer fails the test.
 */
export function postRaw(
  url: string,
  chunks: (string | Buffer)[],
  headers: Record<string, string> = { 'content-type': 'application/json' },
  path = '/api/events',
  timeoutMs = 10_000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        try {
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as RawAnswer['body']) : {},
          });
        } catch {
          reject(
            new Error(
              `${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`,
            ),
          );
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to POST ${path} in ${timeoutMs} ms`));
    }, timeoutMs);
    // The server may answer (413) and close before the last chunk.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
