import { createHash, createHmac } from 'node:crypto';
import type { S3Server } from '@tidemark/testing';

/** One PutObject sent as `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, built by hand. */
export interface SignedChunkedPut {
  readonly server: S3Server;
  readonly key: string;
  readonly body: Buffer;
  readonly chunkSize: number;
  /** Flips one bit of the encoded body after signing, as corruption in transit would. */
  readonly isTampered?: boolean;
}

const SERVICE = 's3';
const EMPTY_SHA256 = sha256Hex(Buffer.alloc(0));
const SIGNATURE_LENGTH = 64;

/**
 * Sends a PutObject whose body is aws-chunked with a signature on every chunk, the
 * encoding the Go, Java and minio-go SDKs use over plain HTTP. @aws-sdk/client-s3 does not
 * send it (its streams go out as STREAMING-UNSIGNED-PAYLOAD-TRAILER), so the request is
 * signed here following
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html.
 * Resolves with the HTTP status; never throws on an S3 error response.
 */
export async function putWithSignedChunks(put: SignedChunkedPut): Promise<number> {
  const url = new URL(`/${put.server.bucket}/${encodeKey(put.key)}`, put.server.endpoint);
  const signing = signingContext(put.server, new Date());
  const chunks = splitIntoChunks(put.body, put.chunkSize);
  // fetch sends the Host header itself, from the URL; it is signed all the same.
  const headers: Record<string, string> = {
    'content-encoding': 'aws-chunked',
    'content-length': String(encodedLength(chunks)),
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'x-amz-date': signing.timestamp,
    'x-amz-decoded-content-length': String(put.body.length),
  };
  const signedHeaders = { ...headers, host: url.host };
  const seedSignature = signSeed(signing, url.pathname, signedHeaders);
  const body = encodeChunks(signing, seedSignature, chunks);
  if (put.isTampered) {
    // A payload byte in the middle of the first chunk, past its size and signature line.
    body[chunkHeaderLength(chunks[0].length) + (chunks[0].length >> 1)] ^= 1;
  }
  const response = await fetch(url, {
    method: 'PUT',
    headers: { ...headers, authorization: authorization(signing, signedHeaders, seedSignature) },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

interface SigningContext {
  readonly accessKeyId: string;
  readonly timestamp: string;
  readonly scope: string;
  readonly key: Buffer;
}

function signingContext(server: S3Server, now: Date): SigningContext {
  const timestamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = timestamp.slice(0, 8);
  const dateKey = hmac(`AWS4${server.secretAccessKey}`, date);
  const key = hmac(hmac(hmac(dateKey, server.region), SERVICE), 'aws4_request');
  const scope = `${date}/${server.region}/${SERVICE}/aws4_request`;
  return { accessKeyId: server.accessKeyId, timestamp, scope, key };
}

function signSeed(signing: SigningContext, path: string, headers: Record<string, string>): string {
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    'PUT',
    path,
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    names.join(';'),
    headers['x-amz-content-sha256'],
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    signing.timestamp,
    signing.scope,
    sha256Hex(Buffer.from(canonicalRequest)),
  ].join('\n');
  return hmac(signing.key, stringToSign).toString('hex');
}

function authorization(
  signing: SigningContext,
  headers: Record<string, string>,
  signature: string,
): string {
  const signedHeaders = Object.keys(headers).sort().join(';');
  return (
    `AWS4-HMAC-SHA256 Credential=${signing.accessKeyId}/${signing.scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`
  );
}

// Each chunk's signature chains from the previous one; a final empty chunk ends the body.
function encodeChunks(signing: SigningContext, seedSignature: string, chunks: Buffer[]): Buffer {
  let previousSignature = seedSignature;
  const encoded = chunks.map((chunk) => {
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      signing.timestamp,
      signing.scope,
      previousSignature,
      EMPTY_SHA256,
      sha256Hex(chunk),
    ].join('\n');
    previousSignature = hmac(signing.key, stringToSign).toString('hex');
    const header = `${chunk.length.toString(16)};chunk-signature=${previousSignature}\r\n`;
    return Buffer.concat([Buffer.from(header), chunk, Buffer.from('\r\n')]);
  });
  return Buffer.concat(encoded);
}

function splitIntoChunks(body: Buffer, chunkSize: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += chunkSize) {
    chunks.push(body.subarray(offset, offset + chunkSize));
  }
  chunks.push(Buffer.alloc(0));
  return chunks;
}

// `<size in hex>;chunk-signature=<64 hex digits>\r\n`, then the payload, then `\r\n`.
function chunkHeaderLength(size: number): number {
  return size.toString(16).length + ';chunk-signature='.length + SIGNATURE_LENGTH + 2;
}

function encodedLength(chunks: Buffer[]): number {
  return chunks.reduce(
    (total, chunk) => total + chunkHeaderLength(chunk.length) + chunk.length + 2,
    0,
  );
}

// SigV4 canonical URIs encode everything but unreserved characters, segment by segment.
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
