/**
 * Where each asynchronous consumer stands in the log, which events it has applied (so a
 * redelivered event changes nothing), and the first two projections fed this way.
 */
export const migration002 = {
  version: 2,
  name: 'consumers and projections',
  sql: /* sql */ `
    CREATE TABLE consumer_checkpoints (
      consumer text PRIMARY KEY,
      position bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE consumer_applied_events (
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      PRIMARY KEY (consumer, event_id)
    );

    CREATE TABLE projection_repository_stats (
      repository text COLLATE "C" PRIMARY KEY,
      manifest_count bigint NOT NULL DEFAULT 0,
      tag_count bigint NOT NULL DEFAULT 0,
      blob_count bigint NOT NULL DEFAULT 0,
      last_push_at timestamptz
    );

    CREATE TABLE projection_tag_history (
      event_id uuid PRIMARY KEY,
      position bigint NOT NULL,
      repository text NOT NULL,
      tag text NOT NULL,
      action text NOT NULL CHECK (action IN ('moved', 'deleted')),
      digest text NOT NULL,
      previous_digest text,
      actor text NOT NULL,
      client_address text,
      user_agent text,
      request_id text NOT NULL,
      occurred_at timestamptz NOT NULL,
      -- When the projection applied it: with events.recorded_at, the pipeline's lag.
      applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );

    CREATE INDEX projection_tag_history_by_tag
      ON projection_tag_history (repository, tag, position);
  `,
};
