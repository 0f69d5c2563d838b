import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestPinoLogger } from '@tidemark/observability';
import { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { ParametersInvalidError } from '@tidemark/oci';
import { OciExceptionFilter } from './oci-exception.filter';
import { rewriteRegistryUrl } from './registry-url';
import { answerClientError, answerConnect } from './client-error';
import { RegistryLogController } from './registry-log-controller';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** How the HTTP layer treats its peers. */
export interface RegistryAppOptions {
  /**
   * Which peers may name the client in `X-Forwarded-For`: none, any, or these addresses and
   * CIDR blocks (Fastify's `trustProxy`). The resulting `request.ip` is the client address
   * that events record, so only a proxy that overwrites the header should be trusted.
   */
  readonly trustProxy: boolean | readonly string[];
}

/**
 * Creates the HTTP application of a registry module on Fastify. Bodies are never parsed by
 * the framework: uploads stream from the raw request, and manifests are read with a limit
 * by their handler.
 */
export async function createRegistryApp(
  rootModule: DynamicModule,
  logger: Logger,
  options: RegistryAppOptions = { trustProxy: false },
): Promise<NestFastifyApplication> {
  const errors = new OciExceptionFilter(logger);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    trustProxy:
      typeof options.trustProxy === 'boolean' ? options.trustProxy : [...options.trustProxy],
    // Request lines come from the onResponse hook below, with Tidemark's level policy.
    logController: new RegistryLogController(logger),
    rewriteUrl: (request: IncomingMessage) => rewriteRegistryUrl(request.url ?? '/'),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    exposeHeadRoutes: false,
    // Errors fastify raises before routing get the OCI error body too (field case F17).
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      errors.send(error, request, reply),
    // And so do requests Node's HTTP parser refuses before fastify sees them.
    clientErrorHandler: answerClientError,
    // Node would refuse a request without Host itself, with an empty body; the hook below
    // refuses it in the OCI format instead.
    http: { requireHostHeader: false },
    requestTimeout: 0,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(logger),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null));
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
    reply.header('X-Request-Id', request.id);
    // RFC 9112 section 3.2: an HTTP/1.1 request without exactly one Host is answered 400.
    if (request.raw.httpVersion === '1.1' && !hasOneHost(request.raw.rawHeaders)) {
      reply.header('Connection', 'close');
      errors.send(
        new ParametersInvalidError({ header: 'Host' }, 'a request needs exactly one Host header'),
        request,
        reply,
      );
      return reply;
    }
  });
  fastify.addHook('onResponse', async (request, reply) => {
    // A 5xx was logged with its error by the exception filter; this line only counts it.
    const level = reply.statusCode >= 500 ? 'info' : 'debug';
    logger[level](
      {
        requestId: request.id,
        method: request.method,
        url: request.originalUrl,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
  // Postgres cannot hold U+0000 in text, and no parameter of the API can contain it.
  fastify.addHook('preHandler', async (request, reply) => {
    if (hasNul(request.query)) {
      errors.send(
        new ParametersInvalidError({ reason: 'a parameter contains U+0000' }),
        request,
        reply,
      );
      return reply;
    }
  });
  app.useGlobalFilters(errors);
  app.getHttpServer().on('connect', answerConnect);
  app.enableShutdownHooks();
  return app;
}

/** Whether any value of a parsed query string contains U+0000. */
function hasNul(query: unknown): boolean {
  const values = Object.values((query ?? {}) as Record<string, string | string[]>);
  return values.flat().some((value) => typeof value === 'string' && value.includes('\u0000'));
}

/** Whether the raw headers (names and values in turn) hold exactly one non-empty Host. */
function hasOneHost(rawHeaders: readonly string[]): boolean {
  const hosts: string[] = [];
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (rawHeaders[index]!.toLowerCase() === 'host') {
      hosts.push(rawHeaders[index + 1]!);
    }
  }
  return hosts.length === 1 && hosts[0]!.trim() !== '';
}
