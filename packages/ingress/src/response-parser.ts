import { UpstreamProtocolError } from './errors.js';
import { trimOws } from './http-text.js';

/** What a parsed upstream response head says; `rawHeaders` alternates name and value. */
export interface ResponseHead {
  status: number;
  rawHeaders: string[];
  /** The connection may carry another request once this response is complete. */
  keepAlive: boolean;
  /** How the body is delimited: a length, chunked, until close, or none (HEAD, 204, 304). */
  framing: 'length' | 'chunked' | 'close' | 'none';
}

/** Receives what the parser finds, in order: one head, body slices, then end. */
export interface ResponseSink {
  onHead(head: ResponseHead): void;
  /** A slice of body bytes (chunked framing already removed); only valid during the call. */
  onBody(data: Buffer): void;
  /** `clean`: no bytes followed the response (else the connection must not be reused). */
  onEnd(clean: boolean): void;
}

/** Same default as Node's http client: a larger head is refused. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_CHUNK_LINE = 4096;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
/** A field line: token name, colon, value (obs-text allowed) captured without its whitespace. */
const FIELD_LINE =
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*((?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?)[\t ]*$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,12})(?:[\t ]*;[\t\x20-\x7e\x80-\xff]*)?$/;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

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

function hasToken(list: string, token: string): boolean {
  for (const part of list.split(',')) if (trimOws(part).toLowerCase() === token) return true;
  return false;
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
   * Feeds bytes from the socket. Parsing stops at the end of the response; `onEnd` says whether
   * the bytes ended there too (anything after it means the connection must not be reused).
   */
  execute(data: Buffer): void {
    let buf = data;
    let at = 0;
    while (at < buf.length) {
      switch (this.state) {
        case State.Done:
          throw new UpstreamProtocolError('unexpected data from upstream');
        case State.Head: {
          if (this.carry) {
            buf = Buffer.concat([this.carry, buf.subarray(at)]);
            at = 0;
            this.carry = undefined;
          }
          const end = buf.indexOf(CRLF_CRLF, at);
          if (end < 0 ? buf.length - at > MAX_HEAD_BYTES : end - at > MAX_HEAD_BYTES)
            throw new UpstreamProtocolError('response head too large');
          if (end < 0) {
            this.carry = Buffer.from(buf.subarray(at));
            return;
          }
          const head = buf.toString('latin1', at, end);
          at = end + 4;
          if (this.parseHead(head)) {
            this.complete(at === buf.length);
            return;
          }
          break;
        }
        case State.Length: {
          const n = Math.min(this.remaining, buf.length - at);
          this.remaining -= n;
          this.sink?.onBody(buf.subarray(at, at + n));
          at += n;
          if (this.remaining === 0) {
            this.complete(at === buf.length);
            return;
          }
          break;
        }
        case State.UntilClose:
          this.sink?.onBody(at === 0 ? buf : buf.subarray(at));
          return;
        case State.ChunkData: {
          const n = Math.min(this.remaining, buf.length - at);
          this.remaining -= n;
          this.sink?.onBody(buf.subarray(at, at + n));
          at += n;
          if (this.remaining === 0) this.state = State.ChunkEnd;
          break;
        }
        case State.ChunkLine:
        case State.ChunkEnd:
        case State.Trailers: {
          const line = this.line(buf, at);
          if (line === undefined) return;
          at = line.next;
          if (this.onLine(line.text)) {
            this.complete(at === buf.length);
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

  /** A field line's name and value; bare CR/LF, obs-fold and bad names or values throw. */
  private checkField(line: string): [string, string] {
    const field = FIELD_LINE.exec(line);
    if (!field) throw new UpstreamProtocolError(`invalid header line ${JSON.stringify(line)}`);
    return [field[1] as string, field[2] as string];
  }

  /** Parses one head; true when it is the whole response (no body). */
  private parseHead(head: string): boolean {
    const lines = head.split('\r\n');
    const status = STATUS_LINE.exec(lines[0] as string);
    if (!status) throw new UpstreamProtocolError('malformed status line');
    const code = Number(status[2]);
    const rawHeaders: string[] = [];
    let length: string | undefined;
    let coding: string | undefined;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const [name, value] = this.checkField(line);
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        if (length !== undefined) throw new UpstreamProtocolError('repeated Content-Length');
        if (!/^\d{1,15}$/.test(value)) throw new UpstreamProtocolError('invalid Content-Length');
        length = value;
      } else if (lower === 'transfer-encoding') {
        if (coding !== undefined) throw new UpstreamProtocolError('repeated Transfer-Encoding');
        coding = value.toLowerCase();
      } else if (lower === 'connection') connection += `,${value}`;
      rawHeaders.push(name, value);
    }
    if (code < 200) {
      // Informational (103 Early Hints, a stray 100): the real head follows.
      if (code === 101) throw new UpstreamProtocolError('unexpected 101 Switching Protocols');
      return false;
    }
    if (length !== undefined && coding !== undefined)
      throw new UpstreamProtocolError('both Content-Length and Transfer-Encoding');
    if (coding !== undefined && coding !== 'chunked')
      throw new UpstreamProtocolError(`unsupported Transfer-Encoding ${coding}`);
    const http11 = status[1] === '1';
    let keepAlive = http11 && !hasToken(connection, 'close');
    let framing: ResponseHead['framing'];
    if (this.bodyless || code === 204 || code === 304) framing = 'none';
    else if (coding !== undefined) framing = 'chunked';
    else if (length !== undefined) framing = Number(length) === 0 ? 'none' : 'length';
    else {
      framing = 'close';
      keepAlive = false;
    }
    if (framing === 'length') {
      this.remaining = Number(length);
      this.state = State.Length;
    } else if (framing === 'chunked') this.state = State.ChunkLine;
    else if (framing === 'close') this.state = State.UntilClose;
    this.sink?.onHead({ status: code, rawHeaders, keepAlive, framing });
    return framing === 'none';
  }

  private complete(clean: boolean): void {
    this.state = State.Done;
    this.carry = undefined;
    const sink = this.sink;
    this.sink = undefined;
    sink?.onEnd(clean);
  }
}
