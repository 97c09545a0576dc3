// Parts at least this long are kept by reference: a Buffer view costs about 105 bytes of heap
// (measured), under 3% of 4 KiB. Shorter parts are copied, except the first few: a value cut by
// one or two socket reads (the common case) is then copied once, as a whole, and allocates no
// staging buffer (which cost a 100 KiB value spanning 64 KiB chunks half its decoding speed).
const KEEP_PARTS_FROM = 4096;
const FEW_PARTS = 8;
const FIRST_STAGING_BYTES = 64;
const COPY_BY_LOOP_BELOW = 64;

/**
 * ChunkParts collects bytes that arrive over several socket chunks (a bulk string's body, an
 * unfinished line) in memory proportional to the bytes received. Socket-sized parts, and the
 * first few parts of any size, are kept by reference, so they are copied once, when joined.
 * Later small parts are copied into staging buffers that double in size:
 *
 *   parts:  [ view of chunk 1 tail ][ view of chunk 2 ] ... [ staging 64 B ][ staging 128 B ] ...
 *
 * so bytes dribbled one per chunk cost at most about 2 bytes each (plus the first few views),
 * where keeping every 1-byte chunk as its own view cost about 100. The first few views may keep
 * their socket chunks alive until the value completes: at most FEW_PARTS chunks.
 */
export class ChunkParts {
  /** Bytes received. */
  length = 0;
  private parts: Buffer[] = [];
  private staging: Buffer | null = null;
  private stagingUsed = 0;
  private stagingSize = FIRST_STAGING_BYTES / 2;
  /** No part is kept by reference: every part is a buffer of our own. */
  private copiedOnly = true;

  /**
   * Adds the next bytes: kept by reference from 4 KiB or among the first FEW_PARTS, else copied. `moreAtMost` bounds the
   * bytes still to come after this part, so that no staging buffer is larger than needed.
   */
  add(part: Buffer, moreAtMost = Number.POSITIVE_INFINITY): void {
    this.length += part.length;
    if (
      part.length >= KEEP_PARTS_FROM ||
      (this.staging === null && this.parts.length < FEW_PARTS)
    ) {
      this.flush();
      this.parts.push(part);
      this.copiedOnly = false;
      return;
    }
    let copied = 0;
    while (copied < part.length) {
      if (this.staging === null || this.stagingUsed === this.staging.length)
        this.grow(part.length - copied, moreAtMost);
      const staging = this.staging!;
      const take = Math.min(part.length - copied, staging.length - this.stagingUsed);
      // For a few bytes a plain loop beats the native memcpy call that copy() makes.
      if (take < COPY_BY_LOOP_BELOW) {
        for (let index = 0; index < take; index++)
          staging[this.stagingUsed + index] = part[copied + index]!;
      } else {
        part.copy(staging, this.stagingUsed, copied, copied + take);
      }
      this.stagingUsed += take;
      copied += take;
    }
  }

  /** The bytes received, as a list of buffers in order. */
  list(): readonly Buffer[] {
    this.flush();
    return this.parts;
  }

  /** The bytes received, in one buffer that holds nothing else of the caller's. */
  joined(): Buffer {
    const parts = this.list();
    // One part that was copied here is such a buffer already.
    if (parts.length === 1 && this.copiedOnly) return parts[0]!;
    return Buffer.concat(parts, this.length);
  }

  /** The byte `distance` places from the end of the bytes received. */
  byteFromEnd(distance: number): number | undefined {
    const parts = this.list();
    for (let index = parts.length - 1; index >= 0; index--) {
      const part = parts[index]!;
      if (distance <= part.length) return part[part.length - distance];
      distance -= part.length;
    }
    return undefined;
  }

  /** Forgets every byte received. */
  clear(): void {
    this.parts = [];
    this.staging = null;
    this.stagingSize = FIRST_STAGING_BYTES / 2;
    this.copiedOnly = true;
    this.length = 0;
  }

  private grow(partLeft: number, moreAtMost: number): void {
    this.flush();
    const stillToCome = partLeft + moreAtMost;
    // Room for everything still to come when that is small (one part, one copy); else double,
    // which keeps the copies few, and never past what is still to come.
    this.stagingSize =
      stillToCome <= KEEP_PARTS_FROM
        ? stillToCome
        : Math.min(Math.max(this.stagingSize * 2, partLeft), stillToCome);
    this.staging = Buffer.allocUnsafe(this.stagingSize);
    this.stagingUsed = 0;
  }

  private flush(): void {
    if (this.staging !== null && this.stagingUsed > 0)
      this.parts.push(this.staging.subarray(0, this.stagingUsed));
    this.staging = null;
  }
}
