import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Where one test broker keeps its files and which loopback ports it listens on. */
export interface KafkaBrokerLayout {
  /** The broker's temporary folder: config files, `data/` (log.dirs) and `logs/`. */
  readonly dir: string;
  /** Client port (the PLAINTEXT listener). */
  readonly port: number;
  /** KRaft controller port (the CONTROLLER listener). */
  readonly controllerPort: number;
}

/** Settings that change what the broker does, as opposed to where it runs. */
export interface KafkaBrokerSettings {
  readonly autoCreateTopics: boolean;
  readonly serverProperties: Readonly<Record<string, string>>;
}

/** The Kafka classes the harness runs; both live in the kafka_2.13 jar in Kafka 4.x. */
export const KAFKA_SERVER_CLASS = 'kafka.Kafka';
export const KAFKA_STORAGE_TOOL_CLASS = 'kafka.tools.StorageTool';

export function serverPropertiesPath(layout: KafkaBrokerLayout): string {
  return join(layout.dir, 'server.properties');
}

export function log4jConfigPath(layout: KafkaBrokerLayout): string {
  return join(layout.dir, 'log4j2.properties');
}

/** The broker's own log file, written by log4j; the first place to look when a start fails. */
export function serverLogPath(layout: KafkaBrokerLayout): string {
  return join(layout.dir, 'logs', 'server.log');
}

/** What the JVM itself prints (crashes, log4j configuration errors); normally empty. */
export function consoleLogPath(layout: KafkaBrokerLayout): string {
  return join(layout.dir, 'logs', 'console.log');
}

/**
 * Renders server.properties for a single node that is both broker and KRaft controller.
 * Internal topics get one replica and one partition: there is one broker, and 50
 * partitions (Kafka's default for __consumer_offsets) make the first group join slow.
 */
export function renderServerProperties(
  layout: KafkaBrokerLayout,
  settings: KafkaBrokerSettings,
): string {
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${layout.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${layout.port},CONTROLLER://127.0.0.1:${layout.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${layout.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': join(layout.dir, 'data'),
    'num.partitions': '1',
    'auto.create.topics.enable': String(settings.autoCreateTopics),
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    // After a SIGKILL the controller refuses the restarted broker's registration until the
    // old incarnation's session expires (DuplicateBrokerRegistrationException); the default
    // 9 s session turned every restart after kill() into a 15 s wait.
    'broker.session.timeout.ms': '2000',
    'broker.heartbeat.interval.ms': '500',
    ...settings.serverProperties,
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}

/** Renders a log4j2 configuration that sends every Kafka log line to the server log file. */
export function renderLog4jConfig(layout: KafkaBrokerLayout): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${serverLogPath(layout)}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = info',
    'rootLogger.appenderRef.file.ref = file',
    '',
  ].join('\n');
}

/**
 * Returns a fresh KRaft cluster id: 16 random bytes in URL-safe base64 without padding,
 * the form `kafka-storage.sh random-uuid` prints.
 */
export function randomClusterId(): string {
  return randomBytes(16).toString('base64url');
}
