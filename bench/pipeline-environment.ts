import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, embeddedUrl } from '@tidemark/db';
import { freePorts } from '../test/support/free-port';
import { startKafkaBroker, type KafkaBroker } from '../test/support/kafka-broker';
import { RegistryProcess } from '../test/support/registry-process';

/** How events travel from the log to the projections. */
export type Transport = 'postgres' | 'kafka';

const BENCH_POOL_SIZE = 8;

/**
 * One registry under test: `tidemark serve` as a child process on free ports, with its own
 * embedded Postgres in a temporary data directory, a connection of the benchmark's own to
 * that Postgres, and, for the Kafka transport, a local broker the registry publishes to.
 */
export class PipelineEnvironment {
  private registry?: RegistryProcess;
  private broker?: KafkaBroker;
  private connection?: Database;
  private isCompleted = false;
  private isStopping = false;

  private constructor(
    readonly transport: Transport,
    private readonly dataDir: string,
    private readonly logFile: string,
  ) {}

  /** Starts everything; what was started is stopped again when a step fails. */
  static async start(transport: Transport): Promise<PipelineEnvironment> {
    const dataDir = await mkdtemp(join(tmpdir(), `tidemark-bench-${transport}-`));
    // As root, the embedded Postgres runs as the `postgres` user, which must reach its directory.
    await chmod(dataDir, 0o755);
    const environment = new PipelineEnvironment(transport, dataDir, `${dataDir}.log`);
    try {
      await environment.startProcesses();
    } catch (error) {
      await environment.stop();
      throw error;
    }
    return environment;
  }

  get database(): Database {
    if (this.connection === undefined) {
      throw new Error('the environment is not started');
    }
    return this.connection;
  }

  get registryUrl(): string {
    if (this.registry === undefined) {
      throw new Error('the environment is not started');
    }
    return this.registry.url;
  }

  /** Marks the run as successful, so `stop` removes the registry's log too. */
  complete(): void {
    this.isCompleted = true;
  }

  /**
   * Closes the connection, stops the registry (and its Postgres) and the broker, and removes
   * the data directory. The registry log is kept when the run did not complete. Idempotent.
   */
  async stop(): Promise<void> {
    this.isStopping = true;
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
    await this.registry?.stop();
    this.registry = undefined;
    await this.broker?.stop();
    this.broker = undefined;
    // A registry that died while its Postgres was shutting down can leave the server writing
    // its last files for a moment after `registry.stop()` returns.
    await rm(this.dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    if (this.isCompleted) {
      await rm(this.logFile, { force: true });
      return;
    }
    console.error(`registry log kept: ${this.logFile}`);
  }

  private async startProcesses(): Promise<void> {
    const env: Record<string, string> = {};
    if (this.transport === 'kafka') {
      this.broker = await startKafkaBroker();
      env.TIDEMARK_KAFKA_BROKERS = loopbackOnly(this.broker.brokers);
    }
    const [port, postgresPort] = await freePorts(2);
    this.registry = await RegistryProcess.start({
      port: port!,
      postgresPort: postgresPort!,
      dataDir: this.dataDir,
      logFile: this.logFile,
      env,
    });
    this.connection = Database.connect(embeddedUrl(postgresPort!), BENCH_POOL_SIZE);
    // Without a listener, an idle connection that Postgres closes would crash the benchmark
    // before it could stop what it started. While stopping that is expected: `pool.end()`
    // resolves before its connections have hung up, and the registry's Postgres exits at once.
    this.connection.pool.on('error', (error) => {
      if (!this.isStopping) {
        console.error(`benchmark connection to Postgres lost: ${error.message}`);
      }
    });
  }
}

/** Refuses brokers anywhere but this machine: the benchmark sends nothing elsewhere. */
function loopbackOnly(brokers: string): string {
  const remote = brokers
    .split(',')
    .filter((broker) => !/^(127\.0\.0\.1|localhost):\d+$/.test(broker));
  if (remote.length > 0) {
    throw new Error(`the benchmark only talks to 127.0.0.1; refusing brokers ${remote.join(',')}`);
  }
  return brokers;
}
