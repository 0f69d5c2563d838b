import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { RegistryError, UnknownError, UnsupportedError } from '@tidemark/oci';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * The one place errors become HTTP: registry errors are sent in the OCI error format with
 * their status; anything else is logged once, with its stack, and sent as UNKNOWN 500
 * without internal detail.
 */
@Catch()
export class OciExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.send(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /**
   * Sends `exception` as the response to `request`. Also called for errors fastify raises
   * before routing (a path it cannot decode, an over-long parameter), which never reach Nest.
   */
  send(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const error = this.toRegistryError(exception, request);
    if (reply.sent) {
      return;
    }
    reply.status(error.status).headers(error.headers).header('Content-Type', 'application/json');
    void reply.send(Buffer.from(JSON.stringify({ errors: [error.toJSON()] })));
  }

  private toRegistryError(exception: unknown, request: FastifyRequest): RegistryError {
    if (exception instanceof RegistryError) {
      return exception;
    }
    const frameworkStatus = frameworkStatusOf(exception);
    if (frameworkStatus !== undefined && frameworkStatus < 500) {
      // Raised by the framework itself, e.g. for a path no route matches or cannot decode.
      return new RequestUnsupportedError(frameworkStatus, request);
    }
    const fields = {
      err: exception,
      requestId: request.id,
      method: request.method,
      url: request.originalUrl,
    };
    // A client that hung up mid-body leaves nobody to answer and nothing for anyone to fix.
    if (request.raw.destroyed && (exception as { code?: unknown })?.code === 'ECONNRESET') {
      this.logger.info(fields, 'request abandoned by the client');
      return new UnknownError();
    }
    this.logger.error(fields, 'request failed');
    return new UnknownError();
  }
}

/** Returns the status of an error Nest or fastify raised on its own, else undefined. */
function frameworkStatusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) {
    return exception.getStatus();
  }
  const { code, statusCode } = (exception ?? {}) as { code?: unknown; statusCode?: unknown };
  const isFastifyError = typeof code === 'string' && code.startsWith('FST_');
  return isFastifyError && typeof statusCode === 'number' ? statusCode : undefined;
}

/**
 * A request the framework refused before any handler ran: an unknown route or method, a path
 * it cannot decode, or a parameter over the router's length limit.
 */
class RequestUnsupportedError extends UnsupportedError {
  override readonly status: number;

  constructor(status: number, request: FastifyRequest) {
    super(
      { method: request.method, path: request.originalUrl },
      status === 404 ? 'no such endpoint' : 'request not supported',
    );
    this.status = status;
  }
}
