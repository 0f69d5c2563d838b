import { Controller, Get, Res } from '@nestjs/common';
import { Database } from '@tidemark/db';
import { measureLag } from '@tidemark/eventstore';
import { respond } from '@tidemark/http';
import type { FastifyReply } from 'fastify';
import { ProjectionRunner } from '../projections/projection-runner';

/** Admin view of the asynchronous consumers: where each stands and how far behind it is. */
@Controller('api/v1/consumers')
export class ConsumersController {
  constructor(
    private readonly database: Database,
    private readonly projections: ProjectionRunner,
  ) {}

  @Get()
  async list(@Res() reply: FastifyReply): Promise<void> {
    const lags = await Promise.all(
      this.projections.consumers.map((consumer) => measureLag(this.database.pool, consumer.name)),
    );
    const consumers = lags.map((lag) => ({
      name: lag.consumer,
      transport: 'postgres',
      position: lag.position.toString(),
      lagEvents: lag.events,
      lagSeconds: lag.seconds,
    }));
    return respond(reply, { status: 200, body: { consumers } });
  }
}
