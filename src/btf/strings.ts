/**
 * The BTF string table: NUL-terminated strings addressed by byte offset. Decoding is lazy: the
 * first few thousand lookups decode single strings (cached); after that the whole table is
 * decoded once when it is ASCII (the kernel's always is), so a string is a cheap substring.
 */
import { BtfError } from '../errors.js';

const utf8 = new TextDecoder('utf-8');
const strict = new TextDecoder('utf-8', { fatal: true });
/** Decode the whole table once this many strings have been asked for (a dump, a full walk). */
const WHOLE_TABLE_AFTER = 4096;

export class StringTable {
  /** Whole table as a string, character offset = byte offset; undefined until first use or when not ASCII. */
  private text: string | undefined;
  private ascii: boolean | undefined;
  private readonly cache = new Map<number, string>();
  private lookups = 0;

  constructor(readonly bytes: Uint8Array) {}

  get length(): number {
    return this.bytes.length;
  }

  private init(): void {
    // A strict UTF-8 decode whose length equals the byte length can only be pure ASCII.
    let text: string | undefined;
    try {
      text = strict.decode(this.bytes);
    } catch {
      text = undefined;
    }
    this.ascii = text !== undefined && text.length === this.bytes.length;
    if (this.ascii) this.text = text;
  }

  /** The string at `off`; `what` names the referrer for the error message. */
  get(off: number, what?: () => string): string {
    if (off >= this.bytes.length) {
      throw new BtfError(`string offset ${off} past the string table (${this.bytes.length} bytes)${what ? ` in ${what()}` : ''}`);
    }
    if (this.text === undefined && this.ascii === undefined && ++this.lookups > WHOLE_TABLE_AFTER) this.init();
    if (this.text !== undefined) {
      const end = this.text.indexOf('\0', off);
      if (end < 0) throw new BtfError(`string at offset ${off} is not NUL-terminated${what ? ` in ${what()}` : ''}`);
      return this.text.substring(off, end);
    }
    const hit = this.cache.get(off);
    if (hit !== undefined) return hit;
    const end = this.bytes.indexOf(0, off);
    if (end < 0) throw new BtfError(`string at offset ${off} is not NUL-terminated${what ? ` in ${what()}` : ''}`);
    const s = utf8.decode(this.bytes.subarray(off, end));
    this.cache.set(off, s);
    return s;
  }
}
