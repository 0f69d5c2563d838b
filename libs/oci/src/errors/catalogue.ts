import { RegistryError } from './registry-error';

// One class per OCI Distribution Spec error code (DS v1.1.1, "Error Codes").
// docs/errors.md documents each; catalogue.spec.ts keeps both in step.

export class BlobUnknownError extends RegistryError {
  readonly code = 'BLOB_UNKNOWN';
  readonly status: number = 404;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('blob unknown to registry', detail, options);
  }
}

export class BlobUploadInvalidError extends RegistryError {
  readonly code = 'BLOB_UPLOAD_INVALID';
  readonly status: number = 400;
  constructor(detail?: unknown, message = 'blob upload invalid', options?: ErrorOptions) {
    super(message, detail, options);
  }
}

/**
 * A chunk that does not start where the upload stands. The spec requires 416 so that a
 * client can tell "resync with a status GET and retry" from a fatal error.
 */
export class RangeNotSatisfiableError extends BlobUploadInvalidError {
  override readonly status = 416;
  constructor(detail?: unknown) {
    super(detail, 'requested range not satisfiable');
  }
}

export class BlobUploadUnknownError extends RegistryError {
  readonly code = 'BLOB_UPLOAD_UNKNOWN';
  readonly status = 404;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('blob upload unknown to registry', detail, options);
  }
}

export class DigestInvalidError extends RegistryError {
  readonly code = 'DIGEST_INVALID';
  readonly status = 400;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('provided digest did not match uploaded content', detail, options);
  }
}

export class ManifestBlobUnknownError extends RegistryError {
  readonly code = 'MANIFEST_BLOB_UNKNOWN';
  readonly status = 400;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('manifest references a manifest or blob unknown to registry', detail, options);
  }
}

export class ManifestInvalidError extends RegistryError {
  readonly code = 'MANIFEST_INVALID';
  readonly status = 400;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('manifest invalid', detail, options);
  }
}

export class ManifestUnknownError extends RegistryError {
  readonly code = 'MANIFEST_UNKNOWN';
  readonly status = 404;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('manifest unknown to registry', detail, options);
  }
}

export class NameInvalidError extends RegistryError {
  readonly code = 'NAME_INVALID';
  readonly status = 400;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('invalid repository name', detail, options);
  }
}

export class NameUnknownError extends RegistryError {
  readonly code = 'NAME_UNKNOWN';
  readonly status = 404;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('repository name not known to registry', detail, options);
  }
}

export class SizeInvalidError extends RegistryError {
  readonly code = 'SIZE_INVALID';
  readonly status: number = 400;
  constructor(detail?: unknown, message = 'provided length did not match content length') {
    super(message, detail);
  }
}

/** A body over a configured limit (manifests): 413 so clients do not retry as-is. */
export class PayloadTooLargeError extends SizeInvalidError {
  override readonly status = 413;
  constructor(detail?: unknown) {
    super(detail, 'payload too large');
  }
}

export class UnauthorizedError extends RegistryError {
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('authentication required', detail, options);
  }
}

export class DeniedError extends RegistryError {
  readonly code = 'DENIED';
  readonly status: number = 403;
  constructor(
    detail?: unknown,
    options?: ErrorOptions,
    message = 'requested access to the resource is denied',
  ) {
    super(message, detail, options);
  }
}

/**
 * A conditional request whose condition no longer holds (RFC 9110: 412), e.g. a tag that
 * moved on before an If-Match push. The spec's table has no code for it; DENIED is the
 * nearest: the registry refused to do what was asked, and the detail says why.
 */
export class PreconditionFailedError extends DeniedError {
  override readonly status = 412;
  constructor(detail?: unknown) {
    super(detail, undefined, 'precondition failed');
  }
}

export class UnsupportedError extends RegistryError {
  readonly code = 'UNSUPPORTED';
  readonly status: number = 405;
  constructor(detail?: unknown, message = 'the operation is unsupported') {
    super(message, detail);
  }
}

/**
 * Query parameters the registry cannot act on. DS v1.1 counts "an invalid set of parameters"
 * as UNSUPPORTED; the status is 400 because the request, not the endpoint, is at fault.
 */
export class ParametersInvalidError extends UnsupportedError {
  override readonly status = 400;
  constructor(detail?: unknown, message = 'invalid parameters') {
    super(detail, message);
  }
}

export class TooManyRequestsError extends RegistryError {
  readonly code = 'TOOMANYREQUESTS';
  readonly status = 429;
  constructor(detail?: unknown, options?: ErrorOptions) {
    super('too many requests', detail, options);
  }
}

/** Anything the registry did not anticipate. Carries no internal detail to the client. */
export class UnknownError extends RegistryError {
  readonly code = 'UNKNOWN';
  readonly status = 500;
  constructor() {
    super('unknown error');
  }
}

/** The base classes of the catalogue: one per code, in the spec's order. */
export const ERROR_CATALOGUE = [
  BlobUnknownError,
  BlobUploadInvalidError,
  BlobUploadUnknownError,
  DigestInvalidError,
  ManifestBlobUnknownError,
  ManifestInvalidError,
  ManifestUnknownError,
  NameInvalidError,
  NameUnknownError,
  SizeInvalidError,
  UnauthorizedError,
  DeniedError,
  UnsupportedError,
  TooManyRequestsError,
] as const;
