import { z } from 'zod';

/** Who caused an event and through which request. Every event carries it. */
export const EventMetadataSchema = z.object({
  /** The authenticated subject, or "anonymous". */
  actor: z.string(),
  clientAddress: z.string().optional(),
  userAgent: z.string().optional(),
  requestId: z.string(),
  /** When the registry decided the change, ISO 8601. State tables take their times from here. */
  time: z.string(),
});

export type EventMetadata = z.infer<typeof EventMetadataSchema>;
