import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import { NameUnknownError } from '@tidemark/oci';
import { CatalogRepository, TagRepository } from '@tidemark/state';
import { nextLink } from '../http/pagination';
import { ListTagsQuery } from './list-tags.query';

const UNLIMITED = 2 ** 31 - 1;

/** Tags in lexical order, `n` at a time after `last`, with a `Link` to the next page. */
@QueryHandler(ListTagsQuery)
export class ListTagsHandler implements IQueryHandler<ListTagsQuery, RegistryResponse> {
  constructor(
    private readonly tags: TagRepository,
    private readonly catalog: CatalogRepository,
  ) {}

  async execute(query: ListTagsQuery): Promise<RegistryResponse> {
    const { repository, page } = query;
    if (!(await this.catalog.exists(repository))) {
      throw new NameUnknownError({ repository });
    }
    const limit = page.limit ?? UNLIMITED;
    const tags = limit === 0 ? [] : await this.tags.list(repository, limit + 1, page.last);
    const isTruncated = tags.length > limit;
    const shown = tags.slice(0, limit);
    const headers: Record<string, string> = {};
    if (isTruncated) {
      headers['Link'] = nextLink(`/v2/${repository}/tags/list`, limit, shown[shown.length - 1]!);
    }
    return { status: 200, headers, body: { name: repository, tags: shown } };
  }
}
