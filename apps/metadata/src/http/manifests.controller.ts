import {
  Controller,
  Delete,
  Get,
  Head,
  Headers,
  Inject,
  Param,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CONFIG, type TidemarkConfig } from '@tidemark/config';
import { RepositoryNamePipe, RequestMeta, respond, type RequestMetadata } from '@tidemark/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DeleteManifestCommand } from '../commands/delete-manifest.command';
import { PutManifestCommand } from '../commands/put-manifest.command';
import { GetManifestQuery } from '../queries/get-manifest.query';
import { readLimitedBody } from './read-limited-body';

@Controller('v2/:name/manifests')
export class ManifestsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(CONFIG) private readonly config: TidemarkConfig,
  ) {}

  @Get(':reference')
  async get(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('reference') reference: string,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(
      reply,
      await this.queries.execute(new GetManifestQuery(name, reference, false, accept)),
    );
  }

  @Head(':reference')
  async head(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('reference') reference: string,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(
      reply,
      await this.queries.execute(new GetManifestQuery(name, reference, true, accept)),
    );
  }

  @Put(':reference')
  async put(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('reference') reference: string,
    @Headers('content-type') contentType: string | undefined,
    @Query('tag') tags: string | string[] | undefined,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @RequestMeta() meta: RequestMetadata,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const content = await readLimitedBody(request, this.config.limits.manifestMaxBytes);
    const extraTags = tags === undefined ? [] : [tags].flat();
    const command = new PutManifestCommand(name, reference, contentType, content, extraTags, meta, {
      ...(ifMatch === undefined ? {} : { ifMatch }),
      ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
    });
    return respond(reply, await this.commands.execute(command));
  }

  @Delete(':reference')
  async delete(
    @Param('name', RepositoryNamePipe) name: string,
    @Param('reference') reference: string,
    @RequestMeta() meta: RequestMetadata,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return respond(
      reply,
      await this.commands.execute(new DeleteManifestCommand(name, reference, meta)),
    );
  }
}
