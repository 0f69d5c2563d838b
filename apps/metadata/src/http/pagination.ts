import { ParametersInvalidError } from '@tidemark/oci';

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
    throw new ParametersInvalidError({ n }, 'invalid pagination parameters');
  }
  if (last !== undefined && typeof last !== 'string') {
    throw new ParametersInvalidError({ last }, 'invalid pagination parameters');
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
