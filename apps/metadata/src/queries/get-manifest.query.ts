/** Reads a manifest by tag or digest (`GET`/`HEAD /v2/<name>/manifests/<reference>`). */
export class GetManifestQuery {
  constructor(
    readonly repository: string,
    readonly reference: string,
    readonly isHead: boolean,
    readonly accept: string | undefined,
  ) {}
}
