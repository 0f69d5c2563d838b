/**
 * How far each Kafka-fed consumer has got on each partition, in time: the age of the
 * oldest event it has not applied. Kafka knows offsets, not ages, and the instance that owns
 * a partition is the only one that sees its messages, so it writes this down for any
 * instance to report.
 */
export const migration004 = {
  version: 4,
  name: 'consumer partition progress',
  sql: /* sql */ `
    CREATE TABLE consumer_partition_progress (
      consumer text NOT NULL,
      topic text NOT NULL,
      partition integer NOT NULL,
      -- When the oldest event not applied yet was recorded, as far as the owner knows (an
      -- upper bound on its age between batches); null when the owner had applied everything.
      pending_since timestamptz,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (consumer, topic, partition)
    );
  `,
};
