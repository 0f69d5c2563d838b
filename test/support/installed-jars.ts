import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Returns the folder of jars that scripts/install-<name>.sh fills, under the repository's
 * `.cache/<name>/libs`. Throws, naming `description` (e.g. "Kafka jars") and the script,
 * when the install has not run.
 */
export function findInstalledJars(name: string, description: string): string {
  const libsDir = join(findRepositoryRoot(), '.cache', name, 'libs');
  if (!existsSync(join(libsDir, '.version'))) {
    throw new Error(`no ${description} in ${libsDir}: run scripts/install-${name}.sh first`);
  }
  return libsDir;
}

// Walks up from this file, so it works from test/support and from dist/test/support.
function findRepositoryRoot(): string {
  let dir = resolve(__dirname);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no package.json above ${__dirname}`);
    }
    dir = parent;
  }
  return dir;
}
