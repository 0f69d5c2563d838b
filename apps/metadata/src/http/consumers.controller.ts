import { Controller, Get, Res } from '@nestjs/common';
import { respond } from '@tidemark/http';
import type { FastifyReply } from 'fastify';
import { ProjectionRunner } from '../projections/projection-runner';

/** Admin view of the asynchronous consumers: how far behind each one is. */
@Controller('api/v1/consumers')
export class ConsumersController {
  constructor(private readonly projections: ProjectionRunner) {}

  @Get()
  async list(@Res() reply: FastifyReply): Promise<void> {
    return respond(reply, { status: 200, body: { consumers: await this.projections.status() } });
  }
}
