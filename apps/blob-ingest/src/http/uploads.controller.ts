import { Controller, Delete, Get, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { RepositoryNamePipe, RequestMeta, respond, type RequestMetadata } from '@tidemark/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CancelUploadCommand } from '../commands/cancel-upload.command';
import { CompleteUploadCommand } from '../commands/complete-upload.command';
import { StartUploadCommand, type StartUploadOptions } from '../commands/start-upload.command';
import { WriteChunkCommand } from '../commands/write-chunk.command';
import { GetUploadStatusQuery } from '../queries/get-upload-status.query';
import { chunkFrom } from './incoming-chunk';

@Controller('v2/:name/blobs/uploads')
export class UploadsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  async start(
    @Param('name', RepositoryNamePipe) name: string,
    @Query() options: StartUploadOptions,
    @RequestMeta() meta: RequestMetadata,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const command = new StartUploadCommand(name, options, chunkFrom(request), meta);
    return respond(reply, await this.commands.execute(command));
  }

  @Patch(':uploadId')
  async write(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('uploadId') uploadId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const command = new WriteChunkCommand(name, uploadId, chunkFrom(request));
    return respond(reply, await this.commands.execute(command));
  }

  @Put(':uploadId')
  async complete(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('uploadId') uploadId: string,
    @Query('digest') digest: string | undefined,
    @RequestMeta() meta: RequestMetadata,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const command = new CompleteUploadCommand(name, uploadId, digest, chunkFrom(request), meta);
    return respond(reply, await this.commands.execute(command));
  }

  @Get(':uploadId')
  async status(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('uploadId') uploadId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(reply, await this.queries.execute(new GetUploadStatusQuery(name, uploadId)));
  }

  @Delete(':uploadId')
  async cancel(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('uploadId') uploadId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(reply, await this.commands.execute(new CancelUploadCommand(name, uploadId)));
  }
}
