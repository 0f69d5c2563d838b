import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts } from './free-port';
import { findInstalledJars } from './installed-jars';
import { JavaProcess, QUICK_START_JVM_OPTIONS } from './java-process';
import {
  consoleLogPath,
  KAFKA_SERVER_CLASS,
  KAFKA_STORAGE_TOOL_CLASS,
  log4jConfigPath,
  randomClusterId,
  renderLog4jConfig,
  renderServerProperties,
  serverLogPath,
  serverPropertiesPath,
  type KafkaBrokerLayout,
} from './kafka-broker-config';
import { readLogTail } from './log-tail';

export interface KafkaBrokerOptions {
  /**
   * Lets a producer create a topic by writing to it. Default false: suites create their
   * topics with the admin client, as Tidemark's deployments do, so a misspelt topic
   * name fails instead of quietly creating a second topic.
   */
  autoCreateTopics?: boolean;
  /** How long each start (and restart) may take before it fails; default 60 s. */
  startTimeoutMs?: number;
  /** Extra server.properties entries; they override the harness's own. */
  serverProperties?: Record<string, string>;
}

/** A Kafka broker for one suite. */
export interface KafkaBroker {
  /** Bootstrap servers, comma-separated `host:port` (`brokers.split(',')` for kafkajs). */
  readonly brokers: string;
  /** True when the broker came from TIDEMARK_TEST_KAFKA_BROKERS and cannot be killed. */
  readonly isExternal: boolean;
  /** Shuts the broker down (SIGTERM, then SIGKILL after 30 s) and deletes its files. Idempotent. */
  stop(): Promise<void>;
  /** Kills the broker with SIGKILL, keeping its files, as a crash would. Idempotent. */
  kill(): Promise<void>;
  /**
   * Starts the broker again on the same ports and log directory, so committed data
   * survives; a running broker is shut down cleanly first. Resolves once it answers.
   */
  restart(): Promise<void>;
}

const EXTERNAL_BROKERS_VARIABLE = 'TIDEMARK_TEST_KAFKA_BROKERS';
const JVM_OPTIONS = ['-Xmx512m', ...QUICK_START_JVM_OPTIONS];
const FORMAT_TIMEOUT_MS = 60_000;
const SHUTDOWN_GRACE_MS = 30_000;

/**
 * Starts a real single-node Kafka broker (KRaft, combined broker and controller) on
 * 127.0.0.1 from the jars scripts/install-kafka.sh caches, in a fresh temporary folder
 * with a fresh cluster id, and resolves once it answers a metadata request.
 *
 * When TIDEMARK_TEST_KAFKA_BROKERS is set (e.g. by a run that starts Kafka in a
 * container), returns that broker instead: `stop` does nothing, `kill` and `restart` throw.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const externalBrokers = process.env[EXTERNAL_BROKERS_VARIABLE];
  if (externalBrokers) {
    return externalBroker(externalBrokers);
  }
  const broker = await LocalKafkaBroker.create(options);
  await broker.restart();
  return broker;
}

class LocalKafkaBroker implements KafkaBroker {
  readonly isExternal = false;
  private server: JavaProcess | undefined;
  private isStopped = false;

  private constructor(
    private readonly layout: KafkaBrokerLayout,
    private readonly libsDir: string,
    private readonly startTimeoutMs: number,
  ) {}

  static async create(options: KafkaBrokerOptions): Promise<LocalKafkaBroker> {
    const libsDir = findInstalledJars('kafka', 'Kafka jars');
    // Bound at once, so the client and controller listeners get different ports.
    const [port, controllerPort] = await freePorts(2);
    const dir = await mkdtemp(join(tmpdir(), 'tidemark-kafka-'));
    const layout = { dir, port, controllerPort };

    await writeBrokerFiles(layout, options);
    await formatStorage(layout, libsDir);

    return new LocalKafkaBroker(layout, libsDir, options.startTimeoutMs ?? 60_000);
  }

  get brokers(): string {
    return `127.0.0.1:${this.layout.port}`;
  }

  async stop(): Promise<void> {
    if (this.isStopped) {
      return;
    }
    this.isStopped = true;
    await this.server?.terminate(SHUTDOWN_GRACE_MS);
    await rm(this.layout.dir, { recursive: true, force: true });
  }

  async kill(): Promise<void> {
    await this.server?.kill();
  }

  async restart(): Promise<void> {
    if (this.isStopped) {
      throw new Error('the Kafka broker was stopped and its files deleted; start a new one');
    }
    await this.server?.terminate(SHUTDOWN_GRACE_MS);
    this.server = JavaProcess.start({
      libsDir: this.libsDir,
      jvmOptions: [...JVM_OPTIONS, ...log4jOptions(this.layout)],
      mainClass: KAFKA_SERVER_CLASS,
      args: [serverPropertiesPath(this.layout)],
      outputFile: consoleLogPath(this.layout),
    });
    try {
      await waitUntilReady(this.layout, this.server, this.startTimeoutMs);
    } catch (error) {
      await this.server.kill();
      throw error;
    }
  }
}

function externalBroker(brokers: string): KafkaBroker {
  const refuse = (action: string) => (): Promise<void> =>
    Promise.reject(
      new Error(`cannot ${action} the external Kafka broker from ${EXTERNAL_BROKERS_VARIABLE}`),
    );
  return {
    brokers,
    isExternal: true,
    stop: () => Promise.resolve(),
    kill: refuse('kill'),
    restart: refuse('restart'),
  };
}

async function writeBrokerFiles(
  layout: KafkaBrokerLayout,
  options: KafkaBrokerOptions,
): Promise<void> {
  const settings = {
    autoCreateTopics: options.autoCreateTopics ?? false,
    serverProperties: options.serverProperties ?? {},
  };
  await mkdir(join(layout.dir, 'logs'));
  await writeFile(serverPropertiesPath(layout), renderServerProperties(layout, settings));
  await writeFile(log4jConfigPath(layout), renderLog4jConfig(layout));
}

// `kafka-storage.sh format`: writes meta.properties and the bootstrap metadata to log.dirs.
async function formatStorage(layout: KafkaBrokerLayout, libsDir: string): Promise<void> {
  const tool = JavaProcess.start({
    libsDir,
    jvmOptions: [...JVM_OPTIONS, ...log4jOptions(layout)],
    mainClass: KAFKA_STORAGE_TOOL_CLASS,
    // One argument: a random id may start with '-', which the tool would read as an option.
    args: ['format', `--cluster-id=${randomClusterId()}`, '--config', serverPropertiesPath(layout)],
    outputFile: consoleLogPath(layout),
  });
  const code = await tool.waitForExit(FORMAT_TIMEOUT_MS);
  if (code !== 0) {
    throw new Error(`formatting Kafka storage failed (exit ${code})\n${await logTail(layout)}`);
  }
}

function log4jOptions(layout: KafkaBrokerLayout): string[] {
  return [`-Dlog4j2.configurationFile=${log4jConfigPath(layout)}`];
}

async function waitUntilReady(
  layout: KafkaBrokerLayout,
  server: JavaProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.isRunning) {
      throw new Error(`the Kafka broker exited while starting\n${await logTail(layout)}`);
    }
    if ((await acceptsConnections(layout.port)) && (await answersMetadata(layout.port))) {
      return;
    }
    await delay(200);
  }
  throw new Error(
    `the Kafka broker did not answer within ${timeoutMs} ms\n${await logTail(layout)}`,
  );
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function answersMetadata(port: number): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'tidemark-test-kafka-probe',
    brokers: [`127.0.0.1:${port}`],
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    // Not ready yet (still starting, or not yet unfenced); the caller polls again.
    return false;
  } finally {
    await admin.disconnect();
  }
}

async function logTail(layout: KafkaBrokerLayout): Promise<string> {
  const files = [serverLogPath(layout), consoleLogPath(layout)];
  const tails = await Promise.all(files.map((file) => readLogTail(file)));
  return tails.join('\n');
}
