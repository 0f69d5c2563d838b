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
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
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
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      // Raised by the framework itself, e.g. for a path no route matches.
      return new RequestUnsupportedError(exception.getStatus(), request);
    }
    this.logger.error(
      { err: exception, requestId: request.id, method: request.method, url: request.url },
      'request failed',
    );
    return new UnknownError();
  }
}

/** A request the framework refused before any handler ran (unknown route or method). */
class RequestUnsupportedError extends UnsupportedError {
  override readonly status: number;

  constructor(status: number, request: FastifyRequest) {
    super({ method: request.method, path: request.url }, 'no such endpoint');
    this.status = status;
  }
}
