import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import { CatalogRepository } from '@tidemark/state';
import { nextLink } from '../http/pagination';
import { ListRepositoriesQuery } from './list-repositories.query';

const UNLIMITED = 2 ** 31 - 1;

/** Repository names in lexical order, paginated like tags. */
@QueryHandler(ListRepositoriesQuery)
export class ListRepositoriesHandler implements IQueryHandler<
  ListRepositoriesQuery,
  RegistryResponse
> {
  constructor(private readonly catalog: CatalogRepository) {}

  async execute(query: ListRepositoriesQuery): Promise<RegistryResponse> {
    const limit = query.page.limit ?? UNLIMITED;
    const names = limit === 0 ? [] : await this.catalog.list(limit + 1, query.page.last);
    const shown = names.slice(0, limit);
    const headers: Record<string, string> = {};
    if (names.length > limit) {
      headers['Link'] = nextLink('/v2/_catalog', limit, shown[shown.length - 1]!);
    }
    return { status: 200, headers, body: { repositories: shown } };
  }
}
