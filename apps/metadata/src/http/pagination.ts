import { UnsupportedError } from '@tidemark/oci';

/** The `n` and `last` query parameters of a paginated list (DS v1.1, "Listing Tags"). */
export interface Page {
  readonly limit?: number;
  readonly last?: string;
}

/** Returns what `n` and `last` ask for. A malformed or repeated one is a client error. */
export function parsePage(
  n: string | string[] | undefined,
  last: string | string[] | undefined,
): Page {
  if (n !== undefined && (typeof n !== 'string' || !/^\d{1,9}$/.test(n))) {
    throw new PaginationInvalidError({ n });
  }
  if (last !== undefined && typeof last !== 'string') {
    throw new PaginationInvalidError({ last });
  }
  return {
    ...(n === undefined ? {} : { limit: Number(n) }),
    ...(last === undefined || last === '' ? {} : { last }),
  };
}

/** The `Link` header that points at the next page, RFC 8288 style, as the spec shows it. */
export function nextLink(path: string, limit: number, last: string): string {
  return `<${path}?n=${limit}&last=${encodeURIComponent(last)}>; rel="next"`;
}

/** A malformed `n`: UNSUPPORTED covers "an invalid set of parameters" in DS v1.1. */
class PaginationInvalidError extends UnsupportedError {
  override readonly status = 400;
  constructor(detail: unknown) {
    super(detail, 'invalid pagination parameters');
  }
}
