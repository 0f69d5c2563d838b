import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestPinoLogger } from '@tidemark/observability';
import { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { OciExceptionFilter } from './oci-exception.filter';
import { rewriteRegistryUrl } from './registry-url';
import { answerClientError } from './client-error';
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
  });
  fastify.addHook('onResponse', async (request, reply) => {
    // A 5xx was logged with its error by the exception filter; this line only counts it.
    const level = reply.statusCode >= 500 ? 'info' : 'debug';
    logger[level](
      {
        requestId: request.id,
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
  app.useGlobalFilters(errors);
  app.enableShutdownHooks();
  return app;
}
