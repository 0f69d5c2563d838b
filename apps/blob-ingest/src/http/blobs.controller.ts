import { Controller, Delete, Get, Head, Headers, Param, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { RepositoryNamePipe, RequestMeta, respond, type RequestMetadata } from '@tidemark/http';
import type { FastifyReply } from 'fastify';
import { DeleteBlobCommand } from '../commands/delete-blob.command';
import { GetBlobQuery } from '../queries/get-blob.query';

@Controller('v2/:name/blobs')
export class BlobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get(':digest')
  async get(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('digest') digest: string,
    @Headers('range') range: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(reply, await this.queries.execute(new GetBlobQuery(name, digest, false, range)));
  }

  @Head(':digest')
  async head(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('digest') digest: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(
      reply,
      await this.queries.execute(new GetBlobQuery(name, digest, true, undefined)),
    );
  }

  @Delete(':digest')
  async delete(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('digest') digest: string,
    @RequestMeta() meta: RequestMetadata,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(reply, await this.commands.execute(new DeleteBlobCommand(name, digest, meta)));
  }
}
