import { Controller, Get, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { respond } from '@tidemark/http';
import type { FastifyReply } from 'fastify';
import { ListRepositoriesQuery } from '../queries/list-repositories.query';
import { parsePage } from './pagination';

@Controller('v2')
export class CatalogController {
  constructor(private readonly queries: QueryBus) {}

  /** The API version check: 200 tells clients this is a registry/2.0 endpoint. */
  @Get()
  async base(@Res() reply: FastifyReply): Promise<void> {
    return respond(reply, { status: 200, body: {} });
  }

  @Get('_catalog')
  async catalog(
    @Query('n') n: string | string[] | undefined,
    @Query('last') last: string | string[] | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(
      reply,
      await this.queries.execute(new ListRepositoriesQuery(parsePage(n, last))),
    );
  }
}
