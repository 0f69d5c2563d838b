import type { RequestMetadata } from '@tidemark/http';
import type { IncomingChunk } from '../uploads/upload-writer';

/** What `POST /v2/<name>/blobs/uploads/` asked for, through its query string. */
export interface StartUploadOptions {
  /** Monolithic upload: the POST body is the whole blob with this digest. */
  readonly digest?: string;
  /** Cross-repository mount of this digest… */
  readonly mount?: string;
  /** …from this repository. */
  readonly from?: string;
}

/** Starts an upload session, mounts a blob, or uploads a whole blob in one request. */
export class StartUploadCommand {
  constructor(
    readonly repository: string,
    readonly options: StartUploadOptions,
    readonly chunk: IncomingChunk,
    readonly request: RequestMetadata,
  ) {}
}
