import { createCipheriv, createHash, type Cipher, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';

const PIECE_BYTES = 1024 * 1024;
const ZEROES = Buffer.alloc(PIECE_BYTES);

/**
 * A blob of pseudo-random bytes that exists only while it streams: AES-256-CTR over zeroes,
 * keyed by a seed, so one seed always yields the same bytes without anything keeping them.
 * Bytes come out in 1 MiB pieces and go through a sha256 as they are produced.
 */
export class PseudoRandomBlob {
  private readonly cipher: Cipher;
  private readonly hash: Hash = createHash('sha256');
  private producedBytes = 0;

  constructor(
    readonly size: number,
    seed: string,
  ) {
    const key = createHash('sha256').update(seed).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  /** Returns the digest of the blob a seed names, by producing it once and sending nothing. */
  static digestOf(size: number, seed: string): string {
    const blob = new PseudoRandomBlob(size, seed);
    while (blob.producedBytes < size) {
      blob.next(Math.min(PIECE_BYTES, size - blob.producedBytes));
    }
    return blob.digest();
  }

  /** How many bytes the streams have produced so far. */
  get produced(): number {
    return this.producedBytes;
  }

  /**
   * Returns a stream of the next `length` bytes of the blob. Streams continue one another,
   * so each must be consumed whole before the next is taken.
   */
  stream(length: number): Readable {
    let remaining = Math.min(length, this.size - this.producedBytes);
    const next = (bytes: number): Buffer => this.next(bytes);
    return new Readable({
      highWaterMark: PIECE_BYTES,
      read(this: Readable) {
        if (remaining === 0) {
          this.push(null);
          return;
        }
        const piece = next(Math.min(PIECE_BYTES, remaining));
        remaining -= piece.length;
        this.push(piece);
      },
    });
  }

  /** Returns `sha256:<hex>` of every byte produced. Call once, after the last stream. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }

  private next(length: number): Buffer {
    const piece = this.cipher.update(length === PIECE_BYTES ? ZEROES : ZEROES.subarray(0, length));
    this.hash.update(piece);
    this.producedBytes += piece.length;
    return piece;
  }
}
