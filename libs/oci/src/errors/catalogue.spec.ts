import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE } from './catalogue';
import { RegistryError } from './registry-error';

// The error codes of the OCI Distribution Spec v1.1 ("Error Codes"), in the spec's order.
const SPEC_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
];

const errors = ERROR_CATALOGUE.map((ErrorClass) => new (ErrorClass as new () => RegistryError)());

/** The documented codes: each `## CODE` heading of docs/errors.md, with its `Status:` line. */
function readDocumentedCodes(): Map<string, number | undefined> {
  // npm test runs from the repository root, as every suite that reads repository files does.
  const text = readFileSync(resolve('docs/errors.md'), 'utf8');
  const sections = text.split(/^## /m).slice(1);
  const documented = new Map<string, number | undefined>();
  for (const section of sections) {
    const heading = section.slice(0, section.indexOf('\n')).trim();
    if (/^[A-Z_]+$/.test(heading)) {
      const status = /^Status: (\d{3})\b/m.exec(section)?.[1];
      documented.set(heading, status === undefined ? undefined : Number(status));
    }
  }
  return documented;
}

describe('ERROR_CATALOGUE', () => {
  it('holds registry errors only', () => {
    for (const error of errors) {
      assert.ok(error instanceof RegistryError, error.name);
    }
  });

  it('gives every class its own code', () => {
    const codes = errors.map((error) => error.code);
    assert.equal(new Set(codes).size, codes.length, `duplicated: ${codes.join(', ')}`);
  });

  it('has exactly the error codes of the distribution spec, in its order', () => {
    assert.deepEqual(
      errors.map((error) => error.code),
      SPEC_CODES,
    );
  });

  it('gives every code a client-error status and a message', () => {
    for (const error of errors) {
      assert.ok(error.status >= 400 && error.status < 500, `${error.code}: ${error.status}`);
      assert.notEqual(error.message, '', error.code);
    }
  });

  it('documents every code in docs/errors.md', () => {
    const documented = readDocumentedCodes();
    const missing = errors.map((error) => error.code).filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], 'codes missing from docs/errors.md');
  });

  it('documents no code that the catalogue lacks', () => {
    const codes = new Set(errors.map((error) => error.code));
    const extra = [...readDocumentedCodes().keys()].filter((code) => !codes.has(code));
    assert.deepEqual(extra, [], 'codes in docs/errors.md that the catalogue lacks');
  });

  it('documents the status each code is sent with', () => {
    const documented = readDocumentedCodes();
    for (const error of errors) {
      assert.equal(documented.get(error.code), error.status, `status of ${error.code}`);
    }
  });
});
