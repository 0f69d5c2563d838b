import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';

/** What a command or query hands back to HTTP: status, headers and an optional body. */
export interface RegistryResponse {
  readonly status: number;
  readonly headers?: Record<string, string | number>;
  /** Bytes, a stream (blobs) or a JSON value. Absent for HEAD and for 201/202/204. */
  readonly body?: Buffer | Readable | object;
}

/** Sends a RegistryResponse. Controllers end with this one call. */
export async function respond(reply: FastifyReply, response: RegistryResponse): Promise<void> {
  reply.status(response.status);
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    reply.header(name, value);
  }
  if (response.body === undefined) {
    await reply.send();
    return;
  }
  if (isJson(response.body)) {
    reply.header('Content-Type', reply.getHeader('Content-Type') ?? 'application/json');
    await reply.send(Buffer.from(JSON.stringify(response.body)));
    return;
  }
  await reply.send(response.body);
}

function isJson(body: Buffer | Readable | object): boolean {
  return !Buffer.isBuffer(body) && typeof (body as Readable).pipe !== 'function';
}
