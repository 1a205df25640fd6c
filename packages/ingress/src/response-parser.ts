import { UpstreamProtocolError } from './errors.js';
import {
  BYTE_CLASS,
  bytesAre,
  bytesEqual,
  hopByHopName,
  OBS_TEXT,
  OWS,
  TCHAR,
  VCHAR,
} from './head-bytes.js';
import { HOP_BY_HOP } from './headers.js';
import { trimOws } from './http-text.js';

/** Field flags (ResponseHead.flags). */
export const HOP = 1;
export const DATE = 2;
export const CONTENT_LENGTH = 4;
/** Numbers kept per field: line start, colon, value start, value end, line end (CR), flags. */
const STRIDE = 6;

/**
 * What a parsed upstream response head says. The head is kept as the text it arrived as, with
 * each field's offsets in it, so relaying it costs no per-field strings: the fast path copies
 * the end-to-end lines through as they are.
 */
export class ResponseHead {
  constructor(
    readonly status: number,
    /** The status line and field lines, each ending in CRLF (the blank line excluded). */
    readonly text: string,
    private readonly fields: readonly number[],
    /** The connection may carry another request once this response is complete. */
    readonly keepAlive: boolean,
    /** How the body is delimited: a length, chunked, until close, or none (HEAD, 204, 304). */
    readonly framing: 'length' | 'chunked' | 'close' | 'none',
  ) {}

  get count(): number {
    return this.fields.length / STRIDE;
  }

  name(i: number): string {
    const f = this.fields;
    return this.text.slice(f[i * STRIDE] as number, f[i * STRIDE + 1] as number);
  }

  /** The value without its surrounding whitespace. */
  value(i: number): string {
    const f = this.fields;
    return this.text.slice(f[i * STRIDE + 2] as number, f[i * STRIDE + 3] as number);
  }

  /** Offset of field i's line in `text`. */
  lineStart(i: number): number {
    return this.fields[i * STRIDE] as number;
  }

  /** Offset of the CRLF that ends field i's line. */
  lineEnd(i: number): number {
    return this.fields[i * STRIDE + 4] as number;
  }

  /** HOP (hop-by-hop, or named by Connection), DATE, CONTENT_LENGTH. */
  flags(i: number): number {
    return this.fields[i * STRIDE + 5] as number;
  }

  /** Alternating names and values, as Node's `rawHeaders`. */
  get rawHeaders(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.name(i), this.value(i));
    return out;
  }
}

/** Receives what the parser finds, in order: one head, body slices, then end. */
export interface ResponseSink {
  onHead(head: ResponseHead): void;
  /** Body bytes buf[start..end) (chunked framing already removed); only valid during the call. */
  onBody(buf: Buffer, start: number, end: number): void;
  /** `clean`: no bytes followed the response (else the connection must not be reused). */
  onEnd(clean: boolean): void;
}

/** Same default as Node's http client: a larger head is refused. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_CHUNK_LINE = 4096;
/**
 * A trailer field line (without its CRLF): token name, colon, optional whitespace, a value of
 * visible characters (obs-text allowed) with inner spaces or tabs, optional whitespace.
 */
const FIELD_LINE =
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*((?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?)[\t ]*$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,12})(?:[\t ]*;[\t\x20-\x7e\x80-\xff]*)?$/;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const HTTP_1 = 'HTTP/1.';

const enum State {
  Head,
  Length,
  ChunkLine,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

function isDigit(c: number | undefined, min: number): boolean {
  return c !== undefined && c >= 48 + min && c <= 57;
}

function invalidLine(buf: Buffer, at: number): UpstreamProtocolError {
  const cr = buf.indexOf(13, at);
  const line = buf.toString('latin1', at, cr < 0 ? buf.length : cr);
  return new UpstreamProtocolError(`invalid header line ${JSON.stringify(line)}`);
}

/**
 * Reads a Connection header's tokens: marks the fields it names as hop-by-hop (except
 * Content-Length: framing is never the upstream's to remove) and returns whether it says
 * `close`. Offsets in `fields` index `text`.
 */
function connectionTokens(connection: string, text: string, fields: number[]): boolean {
  let close = false;
  let named: Set<string> | undefined;
  for (const part of connection.split(',')) {
    const token = trimOws(part).toLowerCase();
    if (token === 'close') close = true;
    else if (token !== '' && token !== 'content-length' && !HOP_BY_HOP.has(token))
      (named ??= new Set()).add(token);
  }
  if (named) {
    for (let i = 0; i < fields.length; i += STRIDE) {
      const name = text.slice(fields[i] as number, fields[i + 1] as number).toLowerCase();
      if (named.has(name)) fields[i + 5] = HOP;
    }
  }
  return close;
}

/**
 * A strict, streaming HTTP/1.1 response parser for upstream connections. It accepts only
 * unambiguous framing and throws UpstreamProtocolError for anything else: bare LF or CR,
 * obs-fold, invalid names or values, Content-Length together with Transfer-Encoding, repeated
 * Content-Length or Transfer-Encoding, a coding other than exactly `chunked`, malformed chunk
 * lines, a missing CRLF after chunk data, or a head above 16 KiB. 1xx heads are skipped (101 is
 * refused: we never ask to upgrade on this path). One parser serves one connection; `expect`
 * arms it for the next response.
 */
export class ResponseParser {
  private state = State.Done;
  private sink: ResponseSink | undefined;
  private bodyless = false;
  /** Bytes of an unfinished head, chunk line or trailer section. */
  private carry: Buffer | undefined;
  private remaining = 0;

  /** Arms the parser for the response to one request (`head` is true for a HEAD request). */
  expect(sink: ResponseSink, head: boolean): void {
    this.sink = sink;
    this.bodyless = head;
    this.state = State.Head;
    this.carry = undefined;
  }

  /** Whether a response is complete (or none was expected). */
  get idle(): boolean {
    return this.state === State.Done;
  }

  /** Whether the response so far is delimited by the connection closing (then `finish` ends it). */
  get untilClose(): boolean {
    return this.state === State.UntilClose;
  }

  /** The upstream closed: ends a close-delimited body; any other unfinished response is an error. */
  finish(): void {
    if (this.state === State.UntilClose) this.complete(true);
    else if (this.state !== State.Done)
      throw new UpstreamProtocolError('upstream closed mid-response');
  }

  /**
   * Feeds bytes from the socket: data[0..end). Parsing stops at the end of the response;
   * `onEnd` says whether the bytes ended there too (anything after it means the connection
   * must not be reused).
   */
  execute(data: Buffer, end = data.length): void {
    let buf = data;
    let stop = end;
    let at = 0;
    while (at < stop) {
      switch (this.state) {
        case State.Done:
          throw new UpstreamProtocolError('unexpected data from upstream');
        case State.Head: {
          if (this.carry) {
            buf = Buffer.concat([this.carry, buf.subarray(at, stop)]);
            stop = buf.length;
            at = 0;
            this.carry = undefined;
          }
          let headEnd = buf.indexOf(CRLF_CRLF, at);
          if (headEnd + 4 > stop) headEnd = -1; // bytes past `stop` are not this read's
          if (headEnd < 0 ? stop - at > MAX_HEAD_BYTES : headEnd - at > MAX_HEAD_BYTES)
            throw new UpstreamProtocolError('response head too large');
          if (headEnd < 0) {
            this.carry = Buffer.from(buf.subarray(at, stop));
            return;
          }
          const head = at;
          at = headEnd + 4;
          if (this.parseHead(buf, head, headEnd + 2)) {
            this.complete(at === stop);
            return;
          }
          break;
        }
        case State.Length: {
          const n = Math.min(this.remaining, stop - at);
          this.remaining -= n;
          this.sink?.onBody(buf, at, at + n);
          at += n;
          if (this.remaining === 0) {
            this.complete(at === stop);
            return;
          }
          break;
        }
        case State.UntilClose:
          this.sink?.onBody(buf, at, stop);
          return;
        case State.ChunkData: {
          const n = Math.min(this.remaining, stop - at);
          this.remaining -= n;
          this.sink?.onBody(buf, at, at + n);
          at += n;
          if (this.remaining === 0) this.state = State.ChunkEnd;
          break;
        }
        case State.ChunkLine:
        case State.ChunkEnd:
        case State.Trailers: {
          const line = this.line(stop === buf.length ? buf : buf.subarray(0, stop), at);
          if (line === undefined) return;
          at = line.next;
          if (this.onLine(line.text)) {
            this.complete(at === stop);
            return;
          }
          break;
        }
      }
    }
  }

  /** The next CRLF-terminated line from `at`, carrying a partial line over to the next read. */
  private line(buf: Buffer, at: number): { text: string; next: number } | undefined {
    const carry = this.carry;
    this.carry = undefined;
    const b = carry ? Buffer.concat([carry, buf.subarray(at)]) : buf;
    const start = carry ? 0 : at;
    const lf = b.indexOf(10, start);
    if (lf < 0) {
      if (b.length - start > MAX_CHUNK_LINE) throw new UpstreamProtocolError('chunk line too long');
      this.carry = Buffer.from(b.subarray(start));
      return undefined;
    }
    if (lf === start || b[lf - 1] !== 13)
      throw new UpstreamProtocolError('bare LF in body framing');
    const text = b.toString('latin1', start, lf - 1);
    if (text.includes('\r')) throw new UpstreamProtocolError('bare CR in body framing');
    // b is the carry followed by buf from `at`: map the position back into buf.
    return { text, next: carry ? at + lf + 1 - carry.length : lf + 1 };
  }

  /** Handles one framing line; true when it ended the response. */
  private onLine(text: string): boolean {
    if (this.state === State.ChunkEnd) {
      if (text !== '') throw new UpstreamProtocolError('chunk data longer than its size');
      this.state = State.ChunkLine;
      return false;
    }
    if (this.state === State.Trailers) {
      // Trailer fields are checked and dropped (not relayed).
      if (text === '') return true;
      this.checkField(text);
      return false;
    }
    const m = CHUNK_LINE.exec(text);
    if (!m) throw new UpstreamProtocolError('malformed chunk size');
    const size = parseInt(m[1] as string, 16);
    if (size === 0) this.state = State.Trailers;
    else {
      this.remaining = size;
      this.state = State.ChunkData;
    }
    return false;
  }

  /** A trailer line's name and value; bare CR/LF, obs-fold and bad names or values throw. */
  private checkField(line: string): void {
    if (!FIELD_LINE.test(line))
      throw new UpstreamProtocolError(`invalid header line ${JSON.stringify(line)}`);
  }

  /**
   * Parses the head in buf[start..stop) (its lines, each ending in CRLF, without the blank
   * line); true when it is the whole response (no body).
   */
  private parseHead(buf: Buffer, start: number, stop: number): boolean {
    let i = this.statusLine(buf, start);
    const http11 = buf[start + 7] === 0x31;
    const code =
      ((buf[start + 9] as number) - 48) * 100 +
      ((buf[start + 10] as number) - 48) * 10 +
      (buf[start + 11] as number) -
      48;
    // Offsets in `fields` are relative to `start`: they index the head's text.
    const fields: number[] = [];
    let length = -1;
    let chunked = false;
    let close = false;
    let connection: string | undefined;
    while (i < stop) {
      const line = i;
      while ((BYTE_CLASS[buf[i] as number] as number) & TCHAR) i++;
      if (i === line || buf[i] !== 0x3a) throw invalidLine(buf, line);
      const colon = i++;
      while ((BYTE_CLASS[buf[i] as number] as number) & OWS) i++;
      const from = i;
      let to = i;
      for (; ; i++) {
        const c = BYTE_CLASS[buf[i] as number] as number;
        if (c & (VCHAR | OBS_TEXT)) to = i + 1;
        else if (!(c & OWS)) break;
      }
      // The head ends in CRLF, so the scan above stops at a CR at the latest.
      if (buf[i] !== 13 || buf[i + 1] !== 10) throw invalidLine(buf, line);
      const n = colon - line;
      let flags = 0;
      if (n === 4 && bytesAre(buf, line, 'date')) flags = DATE;
      else if (n === 14 && bytesAre(buf, line, 'content-length')) {
        if (length >= 0) throw new UpstreamProtocolError('repeated Content-Length');
        if (to === from || to - from > 15)
          throw new UpstreamProtocolError('invalid Content-Length');
        length = 0;
        for (let d = from; d < to; d++) {
          const digit = (buf[d] as number) - 48;
          if (digit < 0 || digit > 9) throw new UpstreamProtocolError('invalid Content-Length');
          length = length * 10 + digit;
        }
        flags = CONTENT_LENGTH;
      } else {
        const hop = hopByHopName(buf, line, n);
        if (hop !== undefined) {
          flags = HOP;
          if (hop === 'transfer-encoding') {
            if (chunked) throw new UpstreamProtocolError('repeated Transfer-Encoding');
            if (to - from !== 7 || !bytesAre(buf, from, 'chunked')) {
              const coding = buf.toString('latin1', from, to).toLowerCase();
              throw new UpstreamProtocolError(`unsupported Transfer-Encoding ${coding}`);
            }
            chunked = true;
          } else if (hop === 'connection') {
            // The usual values without decoding them; anything else is read as a token list.
            if (to - from === 10 && bytesAre(buf, from, 'keep-alive')) {
              // nothing to do
            } else if (to - from === 5 && bytesAre(buf, from, 'close')) close = true;
            else {
              const value = buf.toString('latin1', from, to);
              connection = connection === undefined ? value : `${connection},${value}`;
            }
          }
        }
      }
      fields.push(line - start, colon - start, from - start, to - start, i - start, flags);
      i += 2;
    }
    if (code < 200) {
      // Informational (103 Early Hints, a stray 100): the real head follows.
      if (code === 101) throw new UpstreamProtocolError('unexpected 101 Switching Protocols');
      return false;
    }
    if (length >= 0 && chunked)
      throw new UpstreamProtocolError('both Content-Length and Transfer-Encoding');
    const text = buf.toString('latin1', start, stop);
    if (connection !== undefined && connectionTokens(connection, text, fields)) close = true;
    let keepAlive = http11 && !close;
    let framing: ResponseHead['framing'];
    if (this.bodyless || code === 204 || code === 304) framing = 'none';
    else if (chunked) framing = 'chunked';
    else if (length >= 0) framing = length === 0 ? 'none' : 'length';
    else {
      framing = 'close';
      keepAlive = false;
    }
    if (framing === 'length') {
      this.remaining = length;
      this.state = State.Length;
    } else if (framing === 'chunked') this.state = State.ChunkLine;
    else if (framing === 'close') this.state = State.UntilClose;
    this.sink?.onHead(new ResponseHead(code, text, fields, keepAlive, framing));
    return framing === 'none';
  }

  /**
   * Checks `HTTP/1.x NNN[ reason]` CRLF at `at` (the head is known to end in CRLF); returns
   * the offset of the line after it.
   */
  private statusLine(buf: Buffer, at: number): number {
    let ok =
      bytesEqual(buf, at, HTTP_1) &&
      (buf[at + 7] === 0x30 || buf[at + 7] === 0x31) &&
      buf[at + 8] === 0x20 &&
      isDigit(buf[at + 9], 1) &&
      isDigit(buf[at + 10], 0) &&
      isDigit(buf[at + 11], 0);
    let i = at + 12;
    if (ok && buf[i] === 0x20)
      for (i++; (BYTE_CLASS[buf[i] as number] as number) & (VCHAR | OBS_TEXT | OWS);) i++;
    ok &&= buf[i] === 13 && buf[i + 1] === 10;
    if (!ok) throw new UpstreamProtocolError('malformed status line');
    return i + 2;
  }

  private complete(clean: boolean): void {
    this.state = State.Done;
    this.carry = undefined;
    const sink = this.sink;
    this.sink = undefined;
    sink?.onEnd(clean);
  }
}
