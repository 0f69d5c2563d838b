import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runTool, type RunToolOptions, type ToolResult } from './run-tool';

/**
 * The pinned registry clients (scripts/install-tools.sh), set up to talk plain HTTP to one
 * registry (test/conformance/README.md, "Client flags for plain HTTP"). Each instance gives
 * the clients a private home: their whole environment is built here, so no configuration,
 * credential or cache of the machine is read, and what they write stays in a temp dir,
 * podman's and buildah's image store included. skopeo 1.9.3 is the exception for one file:
 * run as root, it keeps its blob-info cache in /var/lib/containers/cache, and has no flag to
 * move it. Any request a client tries beyond loopback (cosign looks for Sigstore's TUF
 * repository, for one) is sent to a closed local port and fails there: Go clients never
 * send loopback requests through a proxy, so the registry is reached directly.
 */
export class RegistryClients {
  private constructor(
    /** `127.0.0.1:<port>` of the registry. */
    readonly host: string,
    readonly home: string,
    readonly env: Record<string, string>,
  ) {}

  /** Creates a private home for the clients and tells regctl the registry has no TLS. */
  static async create(host: string): Promise<RegistryClients> {
    const home = await mkdtemp(join(tmpdir(), 'tidemark-clients-'));
    const env = {
      PATH: [process.env.TIDEMARK_TOOLS_BIN, process.env.PATH ?? '/usr/bin:/bin']
        .filter(Boolean)
        .join(':'),
      HOME: home,
      DOCKER_CONFIG: join(home, '.docker'),
      REGCTL_CONFIG: join(home, '.regctl', 'config.json'),
      REGISTRY_AUTH_FILE: join(home, 'containers-auth.json'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_RUNTIME_DIR: join(home, 'run'),
      TMPDIR: join(home, 'tmp'),
      CONTAINERS_STORAGE_CONF: join(home, '.config', 'containers', 'storage.conf'),
      CONTAINERS_CONF: join(home, '.config', 'containers', 'containers.conf'),
      HTTP_PROXY: NOWHERE,
      HTTPS_PROXY: NOWHERE,
      NO_PROXY: '127.0.0.1,localhost',
    };
    await writeConfigFiles(env);
    const clients = new RegistryClients(host, home, env);
    await clients.regctl('registry', 'set', host, '--tls', 'disabled');
    return clients;
  }

  /** Runs crane with `--insecure` (plain HTTP; harmless on loopback). */
  crane(...args: string[]): Promise<ToolResult> {
    return this.run('crane', [...args, '--insecure']);
  }

  /**
   * Runs a remote oras command with plain HTTP: `--from-plain-http --to-plain-http` for
   * `cp`, `--plain-http` for every other subcommand.
   */
  oras(subcommand: string, ...args: string[]): Promise<ToolResult> {
    const flags = ['cp', 'copy'].includes(subcommand)
      ? ['--from-plain-http', '--to-plain-http']
      : ['--plain-http'];
    return this.run('oras', [subcommand, ...args, ...flags]);
  }

  /** Runs helm with `--plain-http` for the subcommands that reach a registry. */
  helm(subcommand: string, ...args: string[]): Promise<ToolResult> {
    const flags = ['push', 'pull', 'show'].includes(subcommand) ? ['--plain-http'] : [];
    return this.run('helm', [subcommand, ...args, ...flags]);
  }

  /** Runs podman on the private image store; `--tls-verify=false` for `push` and `pull`. */
  podman(subcommand: string, ...args: string[]): Promise<ToolResult> {
    const flags = ['push', 'pull'].includes(subcommand) ? ['--tls-verify=false'] : [];
    return this.run('podman', [subcommand, ...flags, ...args]);
  }

  /** Runs buildah on the private image store (the one podman uses). */
  buildah(...args: string[]): Promise<ToolResult> {
    return this.run('buildah', args);
  }

  /** Runs regctl, whose configuration already has TLS off for the registry. */
  regctl(...args: string[]): Promise<ToolResult> {
    return this.run('regctl', args);
  }

  /**
   * Runs skopeo with TLS verification off: `--src-tls-verify=false --dest-tls-verify=false`
   * for `copy`, `--tls-verify=false` for every other subcommand.
   */
  skopeo(subcommand: string, ...args: string[]): Promise<ToolResult> {
    const flags =
      subcommand === 'copy'
        ? ['--src-tls-verify=false', '--dest-tls-verify=false']
        : ['--tls-verify=false'];
    return this.run('skopeo', [subcommand, ...flags, ...args]);
  }

  /** Runs any tool in the clients' environment. */
  run(name: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
    return runTool(name, args, { env: this.env, ...options });
  }

  /** Deletes the home and everything the clients wrote into it. */
  async remove(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}

/** A proxy address where nothing listens (the discard port). */
const NOWHERE = 'http://127.0.0.1:9';

// Empty credentials, and for skopeo, podman and buildah the per-user files that
// containers/image prefers to /etc/containers: a policy that accepts unsigned images, a
// registries.conf with no search registries or mirrors (its presence also turns off the
// system drop-in directory), and an empty registries.d (no signature lookaside).
async function writeConfigFiles(env: Record<string, string>): Promise<void> {
  const containers = join(env.HOME!, '.config', 'containers');
  const directories = [
    env.DOCKER_CONFIG!,
    dirname(env.REGCTL_CONFIG!),
    join(containers, 'registries.d'),
    env.XDG_RUNTIME_DIR!,
    env.TMPDIR!,
  ];
  await Promise.all(directories.map((dir) => mkdir(dir, { recursive: true, mode: 0o700 })));
  const policy = { default: [{ type: 'insecureAcceptAnything' }] };
  await writeFile(join(env.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ auths: {} }));
  await writeFile(env.REGISTRY_AUTH_FILE!, JSON.stringify({ auths: {} }));
  await writeFile(join(containers, 'policy.json'), JSON.stringify(policy));
  await writeFile(join(containers, 'registries.conf'), 'unqualified-search-registries = []\n');
  await writeContainersStorage(env);
}

// podman and buildah keep images under the home, on the vfs driver (plain directories: no
// overlay mount, no fuse), and their run-time state under XDG_RUNTIME_DIR, instead of
// /var/lib/containers and /run. No events are logged (the journal is the default).
async function writeContainersStorage(env: Record<string, string>): Promise<void> {
  const storage = [
    '[storage]',
    'driver = "vfs"',
    `graphroot = "${join(env.HOME!, 'containers', 'storage')}"`,
    `runroot = "${join(env.XDG_RUNTIME_DIR!, 'containers')}"`,
  ];
  const engine = [
    '[engine]',
    `tmp_dir = "${join(env.XDG_RUNTIME_DIR!, 'libpod')}"`,
    `image_copy_tmp_dir = "${env.TMPDIR!}"`,
    'events_logger = "none"',
  ];
  await writeFile(env.CONTAINERS_STORAGE_CONF!, `${storage.join('\n')}\n`);
  await writeFile(env.CONTAINERS_CONF!, `${engine.join('\n')}\n`);
}
