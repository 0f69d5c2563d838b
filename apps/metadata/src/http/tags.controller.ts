import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { RepositoryNamePipe, respond } from '@tidemark/http';
import type { FastifyReply } from 'fastify';
import { ListReferrersQuery } from '../queries/list-referrers.query';
import { ListTagsQuery } from '../queries/list-tags.query';
import { parsePage } from './pagination';

@Controller('v2/:name')
export class TagsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('tags/list')
  async list(
    @Param('name', RepositoryNamePipe) name: string,
    @Query('n') n: string | string[] | undefined,
    @Query('last') last: string | string[] | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(reply, await this.queries.execute(new ListTagsQuery(name, parsePage(n, last))));
  }

  @Get('referrers/:digest')
  async referrers(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('digest') digest: string,
    @Query('artifactType') artifactType: string | string[] | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const artifactTypes = [artifactType ?? []].flat().filter((type) => type !== '');
    return respond(
      reply,
      await this.queries.execute(new ListReferrersQuery(name, digest, artifactTypes)),
    );
  }
}
