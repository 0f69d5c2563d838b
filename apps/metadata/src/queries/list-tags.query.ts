import type { Page } from '../http/pagination';

/** Lists a repository's tags (`GET /v2/<name>/tags/list`). */
export class ListTagsQuery {
  constructor(
    readonly repository: string,
    readonly page: Page,
  ) {}
}
