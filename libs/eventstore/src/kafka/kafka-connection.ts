import { Kafka, logLevel, type Admin, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/** Where events travel on Kafka. */
export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** How long start-up may take to reach the brokers before it fails. */
  readonly connectTimeoutMs: number;
}

/** Thrown at start-up when the brokers cannot be reached or the topic cannot be made. */
export class KafkaUnavailableError extends Error {
  constructor(brokers: readonly string[], cause: unknown) {
    super(
      `cannot reach Kafka at ${brokers.join(',')}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'KafkaUnavailableError';
  }
}

/**
 * Creates the kafkajs client for `settings`. Its log lines go to `logger` as warnings at
 * most: kafkajs reports every failed connection attempt as an error, while the relay and
 * the subscriptions retry on their own and report what they could not recover from.
 */
export function createKafka(settings: KafkaSettings, logger?: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: Math.min(settings.connectTimeoutMs, 3000),
    logLevel: logger === undefined ? logLevel.NOTHING : logLevel.WARN,
    ...(logger === undefined ? {} : { logCreator: toPino(logger) }),
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}

/**
 * Connects to the brokers and creates the event topic if it is missing. Fails within
 * `connectTimeoutMs` with KafkaUnavailableError instead of retrying forever, so a wrong
 * broker address stops start-up with a clear message.
 */
export async function ensureTopic(kafka: Kafka, settings: KafkaSettings): Promise<void> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200 } });
  try {
    await withTimeout(prepare(admin, settings), settings.connectTimeoutMs);
  } catch (error) {
    throw new KafkaUnavailableError(settings.brokers, error);
  } finally {
    // Bounded too: against a broker that accepts connections and never answers, kafkajs's
    // disconnect waits for the stuck request, and start-up would hang here instead.
    await withTimeout(admin.disconnect(), 1000).catch(() => undefined);
  }
}

async function prepare(admin: Admin, settings: KafkaSettings): Promise<void> {
  await admin.connect();
  const topics = await admin.listTopics();
  if (topics.includes(settings.topic)) {
    return;
  }
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: settings.topic,
        numPartitions: settings.partitions,
        replicationFactor: settings.replicationFactor,
        // The log in Postgres is the truth; Kafka only carries it, but consumers that join
        // late read from the start, so nothing is deleted by age.
        configEntries: [{ name: 'retention.ms', value: '-1' }],
      },
    ],
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function toPino(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () => (entry) => {
    const { message, ...fields } = entry.log;
    kafkaLogger[entry.level <= logLevel.WARN ? 'warn' : 'debug'](
      { ...fields, kafkaNamespace: entry.namespace },
      message,
    );
  };
}
