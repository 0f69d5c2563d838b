import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DeleteManifestHandler } from './commands/delete-manifest.handler';
import { PutManifestHandler } from './commands/put-manifest.handler';
import { CatalogController } from './http/catalog.controller';
import { ConsumersController } from './http/consumers.controller';
import { ManifestsController } from './http/manifests.controller';
import { TagsController } from './http/tags.controller';
import { ProjectionRunner } from './projections/projection-runner';
import { GetManifestHandler } from './queries/get-manifest.handler';
import { ListReferrersHandler } from './queries/list-referrers.handler';
import { ListRepositoriesHandler } from './queries/list-repositories.handler';
import { ListTagsHandler } from './queries/list-tags.handler';

/**
 * The metadata app: manifests, tags, referrers and the catalog. Records manifest and tag
 * events, and hosts the asynchronous consumers of the log. Expects the Database and State
 * modules.
 */
@Module({
  imports: [CqrsModule],
  controllers: [CatalogController, ManifestsController, TagsController, ConsumersController],
  providers: [
    ProjectionRunner,
    PutManifestHandler,
    DeleteManifestHandler,
    GetManifestHandler,
    ListTagsHandler,
    ListRepositoriesHandler,
    ListReferrersHandler,
  ],
})
export class MetadataModule {}
