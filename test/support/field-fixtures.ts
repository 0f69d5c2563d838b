import { ERROR_CATALOGUE, type RegistryError } from '@tidemark/oci';
import { strict as assert } from 'node:assert';

/** Blob `T` of the field cases: the five bytes `test\n`. */
export const BLOB_T = Buffer.from('test\n');
export const DIGEST_T = 'sha256:f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2';

/** Blob `E` of the field cases: `{}`, the OCI empty descriptor's content. */
export const BLOB_E = Buffer.from('{}');
export const DIGEST_E = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

/** The OCI empty descriptor (image spec, manifest.md "Guidance for an Empty Descriptor"). */
export const EMPTY_DESCRIPTOR = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: DIGEST_E,
  size: 2,
} as const;

/**
 * The error codes of the DS 1.1.1 "Error Codes" table, the only codes a body may carry: the
 * codes of ERROR_CATALOGUE, which catalogue.spec.ts holds to exactly the spec's table.
 */
export const SPEC_ERROR_CODES: ReadonlySet<string> = new Set(
  ERROR_CATALOGUE.map((ErrorClass) => new (ErrorClass as new () => RegistryError)().code),
);

/**
 * Reads an error response and asserts it has the DS error format: a JSON object with an
 * `errors` array whose items carry a code from the spec table, an optional string message
 * and optional detail. Returns the codes in order.
 */
export async function readOciErrors(response: Response): Promise<string[]> {
  const text = await response.text();
  let body: unknown;
  assert.doesNotThrow(() => (body = JSON.parse(text)), `error body is not JSON: ${text}`);
  const errors = (body as { errors?: unknown }).errors;
  assert.ok(Array.isArray(errors) && errors.length > 0, `no errors array in ${text}`);
  return errors.map((entry: unknown) => {
    const { code, message } = entry as { code?: unknown; message?: unknown };
    assert.ok(typeof code === 'string' && /^[A-Z_]+$/.test(code), `malformed code in ${text}`);
    assert.ok(SPEC_ERROR_CODES.has(code), `${code} is not a DS error code`);
    assert.ok(
      message === undefined || typeof message === 'string',
      `non-string message in ${text}`,
    );
    return code;
  });
}

/** Asserts `response` has `status` and an OCI error body whose first code is one of `codes`. */
export async function assertOciError(
  response: Response,
  status: number,
  codes: string | readonly string[],
): Promise<void> {
  const allowed = [codes].flat();
  assert.equal(response.status, status, `${response.url}: status`);
  const [first] = await readOciErrors(response);
  assert.ok(
    allowed.includes(first!),
    `${response.url}: code ${first}, expected ${allowed.join(' or ')}`,
  );
}

/** Returns `length` bytes of deterministic, non-repeating-looking content. */
export function patternedBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

/**
 * Returns the path a response's Location names, resolved against the request URL as
 * RFC 7231 section 7.1.2 says, so relative and absolute forms compare alike.
 */
export function locationPath(response: Response): string | undefined {
  const location = response.headers.get('location');
  return location === null
    ? undefined
    : decodeURIComponent(new URL(location, response.url).pathname);
}
