/**
 * The base of every error a client may see. Each subclass maps one-to-one onto an
 * error code of the OCI Distribution Spec ("Error Codes" table) and carries the
 * HTTP status and a fixed message; `detail` is structured data for the client.
 *
 * Only the HTTP exception filter turns these into the wire format
 * `{ errors: [{ code, message, detail }] }`.
 */
export abstract class RegistryError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Headers the response must carry, e.g. `Range` on a 416 or a challenge on a 401. */
  readonly headers: Record<string, string> = {};

  constructor(
    message: string,
    readonly detail?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Returns the error as one entry of the OCI error body. */
  toJSON(): { code: string; message: string; detail?: unknown } {
    const entry: { code: string; message: string; detail?: unknown } = {
      code: this.code,
      message: this.message,
    };
    if (this.detail !== undefined) {
      entry.detail = this.detail;
    }
    return entry;
  }
}
