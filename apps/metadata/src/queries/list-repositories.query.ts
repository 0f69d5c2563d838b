import type { Page } from '../http/pagination';

/** Lists repositories (`GET /v2/_catalog`). */
export class ListRepositoriesQuery {
  constructor(readonly page: Page) {}
}
