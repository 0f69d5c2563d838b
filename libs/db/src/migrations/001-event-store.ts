/**
 * The event log, the stream versions that guard it, and the state tables derived from it.
 * `events` is append-only: triggers refuse UPDATE, DELETE and TRUNCATE, so history cannot be edited
 * through SQL by accident. `transaction_id` lets a log reader tell which positions may still
 * be filled by a transaction that has not committed yet.
 */
export const migration001 = {
  version: 1,
  name: 'event store and registry state',
  sql: /* sql */ `
    CREATE TABLE streams (
      stream text PRIMARY KEY,
      version bigint NOT NULL
    );

    CREATE TABLE events (
      position bigserial PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      stream text NOT NULL,
      stream_version bigint NOT NULL,
      type text NOT NULL,
      schema_version integer NOT NULL,
      payload jsonb NOT NULL,
      metadata jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      UNIQUE (stream, stream_version)
    );

    CREATE FUNCTION refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'events are append-only';
    END $$;

    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

    CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

    CREATE TABLE repositories (
      name text COLLATE "C" PRIMARY KEY,
      created_at timestamptz NOT NULL
    );

    CREATE TABLE blobs (
      digest text PRIMARY KEY,
      size bigint NOT NULL,
      created_at timestamptz NOT NULL
    );

    CREATE TABLE repository_blobs (
      repository text NOT NULL,
      digest text NOT NULL REFERENCES blobs (digest),
      linked_at timestamptz NOT NULL,
      PRIMARY KEY (repository, digest)
    );

    CREATE TABLE manifests (
      repository text NOT NULL,
      digest text NOT NULL,
      media_type text NOT NULL,
      size bigint NOT NULL,
      content bytea NOT NULL,
      artifact_type text,
      subject_digest text,
      annotations jsonb,
      pushed_at timestamptz NOT NULL,
      PRIMARY KEY (repository, digest)
    );

    CREATE INDEX manifests_by_subject ON manifests (repository, subject_digest)
      WHERE subject_digest IS NOT NULL;

    CREATE TABLE manifest_references (
      repository text NOT NULL,
      manifest_digest text NOT NULL,
      referenced_digest text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('blob', 'manifest', 'subject')),
      PRIMARY KEY (repository, manifest_digest, kind, referenced_digest)
    );

    CREATE INDEX manifest_references_by_target
      ON manifest_references (repository, referenced_digest);

    CREATE TABLE tags (
      repository text NOT NULL,
      tag text COLLATE "C" NOT NULL,
      digest text NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (repository, tag)
    );

    CREATE INDEX tags_by_digest ON tags (repository, digest);

    CREATE TABLE uploads (
      id uuid PRIMARY KEY,
      repository text NOT NULL,
      size bigint NOT NULL DEFAULT 0,
      hash_state bytea,
      started_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      lease_until timestamptz
    );
  `,
};
