/** Cancels an upload session (`DELETE`), discarding its bytes. */
export class CancelUploadCommand {
  constructor(
    readonly repository: string,
    readonly uploadId: string,
  ) {}
}
