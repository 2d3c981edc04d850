import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { jsonBytesOver } from '../../delivery/client-request.js';
import { ingestMessages } from './ingest.messages.js';

/**
 * The media types ingest takes: JSON (RFC 8259 says UTF-8), and any
 * `application/<name>+json` (RFC 6839), such as `application/cloudevents+json`.
 */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;

const DECODERS: Record<string, (() => Transform) | undefined> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * Refuses a request whose Content-Type is not JSON in UTF-8 (415, naming
 * what is accepted), before anything of its body is read.
 */
export function assertJsonContentType(
  header: string | string[] | undefined,
): void {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value === 'string') {
    const [type, ...params] = value.split(';');
    const charset = params
      .map((param) => /^\s*charset\s*=\s*"?([^"\s]*)"?\s*$/i.exec(param)?.[1])
      .find((found) => found !== undefined);
    if (
      JSON_MEDIA_TYPE.test(type.trim().toLowerCase()) &&
      (charset === undefined || /^utf-?8$/i.test(charset))
    ) {
      return;
    }
  }
  throw new UnsupportedMediaTypeException(ingestMessages.notJson(value));
}

/** A parsed body and the UTF-8 bytes it was parsed from. */
export interface JsonBody {
  value: unknown;
  bytes: Buffer;
}

/**
 * Reads and parses the JSON body of an ingest request that no body parser
 * has read, counting the bytes it actually reads (after decompression),
 * chunked or not: past `limit` it stops reading and answers 413, and the
 * rest of the body is discarded as it comes.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number,
): Promise<JsonBody> {
  assertJsonContentType(req.headers['content-type']);
  const encoding = (req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const decoder = encoding === 'identity' ? null : DECODERS[encoding];
  if (decoder === undefined) {
    throw new UnsupportedMediaTypeException(
      ingestMessages.encoding(req.headers['content-encoding'] ?? ''),
    );
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (decoder === null && declared > limit) {
    req.resume();
    throw new PayloadTooLargeException(
      ingestMessages.bodyTooLarge(declared, limit),
    );
  }
  const { text, bytes } = await readText(req, decoder?.() ?? null, limit);
  if (text.trim() === '') {
    throw new BadRequestException(ingestMessages.empty());
  }
  try {
    return { value: JSON.parse(text) as unknown, bytes };
  } catch {
    throw new BadRequestException(ingestMessages.notValidJson());
  }
}

/**
 * For a request some app body parser already read (another adapter, a
 * parser this module did not know): the same content-type rule, the
 * declared length, and the parsed body's size as JSON.
 */
export function checkParsedBody(
  req: IncomingMessage & { body?: unknown },
  limit: number,
): unknown {
  assertJsonContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit || jsonBytesOver(req.body, limit)) {
    throw new PayloadTooLargeException(
      ingestMessages.bodyTooLarge(declared > limit ? declared : null, limit),
    );
  }
  if (req.body === undefined) {
    throw new BadRequestException(ingestMessages.empty());
  }
  return req.body;
}

/** The body as UTF-8 text, at most `limit` bytes of it (after `decoder`). */
function readText(
  req: IncomingMessage,
  decoder: Transform | null,
  limit: number,
): Promise<{ text: string; bytes: Buffer }> {
  const source: Readable = decoder ? req.pipe(decoder) : req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const stop = (error: Error): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      if (decoder) {
        req.unpipe(decoder);
        decoder.destroy();
      }
      // What is still coming is discarded, not kept.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > limit) {
        stop(
          new PayloadTooLargeException(
            ingestMessages.bodyTooLarge(null, limit),
          ),
        );
        return;
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => {
      if (settled) return;
      settled = true;
      try {
        const body = Buffer.concat(chunks, bytes);
        resolve({
          text: new TextDecoder('utf-8', { fatal: true }).decode(body),
          bytes: body,
        });
      } catch {
        reject(new BadRequestException(ingestMessages.notUtf8()));
      }
    });
    source.once('error', () =>
      stop(new BadRequestException(ingestMessages.unreadable())),
    );
    // The client went away before the end of its body.
    req.once('close', () => {
      if (!req.complete)
        stop(new BadRequestException(ingestMessages.unreadable()));
    });
  });
}
