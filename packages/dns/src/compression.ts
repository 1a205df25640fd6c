import { nameLabels } from './names.js';

/** Compression pointers carry a 14-bit offset, so only names written before 16 KiB can be targets. */
const MAX_POINTER = 0x3fff;

/**
 * Writes names into a message buffer, replacing any suffix already written with a pointer to
 * it (RFC 1035 4.1.4). Suffixes match case-insensitively, so a 0x20-randomised question and the
 * lowercase records that follow it still share bytes.
 */
export class NameCompressor {
  private readonly seen = new Map<string, number>();

  /** Writes `name` at `offset` and returns the offset after it. */
  write(buf: Buffer, offset: number, name: string, compress: boolean): number {
    const { labels, keys } = parsed(name);
    let off = offset;
    for (let i = 0; i < labels.length; i++) {
      const key = keys[i] as string;
      const target = compress ? this.seen.get(key) : undefined;
      if (target !== undefined) {
        buf.writeUInt16BE(0xc000 | target, off);
        return off + 2;
      }
      if (off <= MAX_POINTER && !this.seen.has(key)) this.seen.set(key, off);
      const label = labels[i] as Buffer;
      buf[off] = label.length;
      label.copy(buf, off + 1);
      off += label.length + 1;
    }
    buf[off] = 0;
    return off + 1;
  }

  /** Forgets every name written at or after `offset` (the bytes there are being discarded). */
  rollback(offset: number): void {
    for (const [key, at] of this.seen) if (at >= offset) this.seen.delete(key);
  }
}

// The same few thousand names are written over and over; remember their parsed form.
const PARSED_MAX = 10_000;
const parsedNames = new Map<string, { labels: Buffer[]; keys: string[] }>();

function parsed(name: string): { labels: Buffer[]; keys: string[] } {
  let p = parsedNames.get(name);
  if (!p) {
    const labels = nameLabels(name);
    p = { labels, keys: suffixKeys(labels) };
    if (parsedNames.size >= PARSED_MAX) parsedNames.clear();
    parsedNames.set(name, p);
  }
  return p;
}

/** Key for each suffix: its wire bytes with ASCII letters lowercased (DNS ignores only ASCII case). */
function suffixKeys(labels: Buffer[]): string[] {
  const keys = new Array<string>(labels.length);
  let acc = '';
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i] as Buffer;
    let text = String.fromCharCode(label.length);
    for (const b of label) text += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
    acc = text + acc;
    keys[i] = acc;
  }
  return keys;
}
