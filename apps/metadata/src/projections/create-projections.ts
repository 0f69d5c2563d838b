import type { Database } from '@tidemark/db';
import type { EventConsumer } from '@tidemark/eventstore';
import { RepositoryStatsProjection } from './repository-stats.projection';
import { TagHistoryProjection } from './tag-history.projection';

/** Returns every asynchronous projection the metadata app runs. */
export function createProjections(database: Database): EventConsumer[] {
  return [new RepositoryStatsProjection(database), new TagHistoryProjection(database)];
}
