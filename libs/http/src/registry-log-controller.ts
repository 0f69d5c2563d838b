import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * Fastify's own log lines, at Tidemark's levels. Request lines are not Fastify's (the app
 * logs them in its onResponse hook), but a response body that breaks off after its headers
 * went out is: the client sees an aborted transfer and no onResponse hook runs, so this is
 * the only trace of it.
 */
export class RegistryLogController extends LogController {
  constructor(private readonly logger: Logger) {
    super({ disableRequestLogging: true });
  }

  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    const fields = {
      err: error,
      requestId: request.id,
      method: request.method,
      url: request.originalUrl,
      status: reply.statusCode,
    };
    // A client that hangs up mid-body is its own business; a source that fails is ours.
    if ((error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      this.logger.debug(fields, 'response body abandoned by the client');
      return;
    }
    this.logger.error(fields, 'response body broke off');
  }
}
