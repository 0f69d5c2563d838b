import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { EventMetadata } from '@tidemark/events';
import type { FastifyRequest } from 'fastify';

/** Who is asking, through which request: what every event records, minus the time. */
export type RequestMetadata = Omit<EventMetadata, 'time'>;

/** Injects the RequestMetadata of the current request into a controller method. */
export const RequestMeta = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestMetadata => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const userAgent = request.headers['user-agent'];
    return {
      // Authentication arrives with a later issue; until then every caller is anonymous.
      actor: 'anonymous',
      clientAddress: request.ip,
      ...(userAgent === undefined ? {} : { userAgent }),
      requestId: String(request.id),
    };
  },
);

/** Stamps request metadata with the time of the decision it records. */
export function eventMetadata(request: RequestMetadata, time = new Date()): EventMetadata {
  return { ...request, time: time.toISOString() };
}
