import { z } from 'zod';

// Every change of meaning in the registry, as stored in the event log. A payload schema is
// never changed once shipped: a new shape gets a new schema version and an upcaster in
// `decodeEvent`, so events written years ago stay readable.

const digest = z.string().regex(/^sha(256|512):[a-f0-9]+$/);
const repository = z.string().min(1);

export const BlobPushedPayload = z.object({ repository, digest, size: z.number().int().min(0) });
export const BlobMountedPayload = BlobPushedPayload.extend({ from: repository });
export const BlobUnlinkedPayload = z.object({ repository, digest });

export const ManifestReferenceSchema = z.object({
  digest,
  kind: z.enum(['blob', 'manifest', 'subject']),
});

export const ManifestPushedPayload = z.object({
  repository,
  digest,
  mediaType: z.string(),
  size: z.number().int().min(0),
  /** The exact bytes received, base64: the log alone can rebuild every manifest. */
  content: z.string(),
  references: z.array(ManifestReferenceSchema),
  subject: digest.optional(),
  artifactType: z.string().optional(),
  annotations: z.record(z.string()).optional(),
});

/** The condition a push put on a tag move (If-Match / If-None-Match), as the client sent it. */
export const TagConditionSchema = z.union([
  z.object({ ifMatch: z.array(z.string()) }),
  z.object({ ifNoneMatch: z.literal('*') }),
]);

export const TagMovedPayload = z.object({
  repository,
  tag: z.string(),
  digest,
  /** Where the tag pointed before; null when the tag is new. */
  previousDigest: digest.nullable(),
  /** Present when the move was conditional; it was met, or there would be no move. */
  condition: TagConditionSchema.optional(),
});

/** A conditional move that was refused because the tag had moved on (or did not exist). */
export const TagMoveRefusedPayload = z.object({
  repository,
  tag: z.string(),
  /** The digest the push wanted the tag to point to. */
  digest,
  /** Where the tag pointed when the condition was evaluated; null when it did not exist. */
  currentDigest: digest.nullable(),
  condition: TagConditionSchema,
});

export const TagDeletedPayload = z.object({ repository, tag: z.string(), digest });
export const ManifestDeletedPayload = z.object({ repository, digest });

/** The payload schema of each event type at its current schema version. */
export const EVENT_PAYLOADS = {
  BlobPushed: BlobPushedPayload,
  BlobMounted: BlobMountedPayload,
  BlobUnlinked: BlobUnlinkedPayload,
  ManifestPushed: ManifestPushedPayload,
  TagMoved: TagMovedPayload,
  TagMoveRefused: TagMoveRefusedPayload,
  TagDeleted: TagDeletedPayload,
  ManifestDeleted: ManifestDeletedPayload,
} as const;

export type EventType = keyof typeof EVENT_PAYLOADS;

/** The schema version new events of every type are written with. */
export const CURRENT_SCHEMA_VERSION = 1;

/** A registry event: a type and its payload, discriminated on `type`. */
export type RegistryEvent = {
  [Type in EventType]: {
    readonly type: Type;
    readonly payload: z.infer<(typeof EVENT_PAYLOADS)[Type]>;
  };
}[EventType];

/** The event of one type, e.g. `EventOf<'TagMoved'>`. */
export type EventOf<Type extends EventType> = Extract<RegistryEvent, { type: Type }>;

/** Builds an event; the payload is typed by its event type. */
export function registryEvent<Type extends EventType>(
  type: Type,
  payload: EventOf<Type>['payload'],
): EventOf<Type> {
  return { type, payload } as EventOf<Type>;
}

/**
 * Validates a stored event and brings it to the current schema version. Throws when the
 * type is unknown or the payload does not match its schema: a log that cannot be read is
 * a fault to stop on, never to skip.
 */
export function decodeEvent(type: string, schemaVersion: number, payload: unknown): RegistryEvent {
  if (!(type in EVENT_PAYLOADS)) {
    throw new Error(`unknown event type ${type}`);
  }
  if (schemaVersion !== CURRENT_SCHEMA_VERSION) {
    throw new Error(`unsupported schema version ${schemaVersion} of ${type}`);
  }
  const schema = EVENT_PAYLOADS[type as EventType];
  return { type, payload: schema.parse(payload) } as RegistryEvent;
}
