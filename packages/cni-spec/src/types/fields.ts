import { isIP } from 'node:net';
import type { CniError } from '../errors.js';

/** The error class a reader throws (code 7 for configs, 6 for results, ...). */
export type ErrorClass = new (msg: string, details?: string) => CniError;

/** Short, printable form of an offending value for error messages. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for `a.b.c.d/nn` or `v6::/nnn` with a prefix that fits the family. */
export function isCidr(value: string): boolean {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return false;
  const family = isIP(value.slice(0, slash));
  const prefix = value.slice(slash + 1);
  if (!family || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** 4 or 6 for an address or CIDR, 0 when it is neither. */
export function ipFamily(value: string): 0 | 4 | 6 {
  const slash = value.indexOf('/');
  return isIP(slash < 0 ? value : value.slice(0, slash)) as 0 | 4 | 6;
}

/**
 * Reads typed fields out of one JSON object and throws `errorClass` naming the full field path
 * and the offending value, e.g. `plugins[1].ipam.type: expected a string, got 5`.
 */
export class FieldReader {
  constructor(
    readonly obj: Record<string, unknown>,
    readonly path: string,
    private readonly errorClass: ErrorClass,
  ) {}

  /** Reads `value` at `path` as an object, or throws. */
  static of(value: unknown, path: string, errorClass: ErrorClass): FieldReader {
    if (!isObject(value)) {
      throw new errorClass(`${path || 'value'}: expected a JSON object, got ${showValue(value)}`);
    }
    return new FieldReader(value, path, errorClass);
  }

  field(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  fail(key: string, expected: string, value: unknown = this.obj[key]): never {
    throw new this.errorClass(`${this.field(key)}: expected ${expected}, got ${showValue(value)}`);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  string(key: string, required: true): string;
  string(key: string, required?: boolean): string | undefined;
  string(key: string, required = false): string | undefined {
    const v = this.obj[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || (required && v === '')) this.fail(key, 'a non-empty string');
    return v;
  }

  /** A string matching `re`; `what` describes the format in the error. */
  matching(key: string, re: RegExp, what: string, required = false): string | undefined {
    const v = this.string(key, required);
    if (v !== undefined && !re.test(v)) this.fail(key, what);
    return v;
  }

  /** An IP address; an optional one may be "" (Go writes unset addresses that way). */
  ip(key: string, required = false): string | undefined {
    const v = this.string(key, required);
    if (v === '' && !required) return undefined;
    if (v !== undefined && !isIP(v)) this.fail(key, 'an IP address');
    return v;
  }

  cidr(key: string, required = false): string | undefined {
    const v = this.string(key, required);
    if (v !== undefined && !isCidr(v)) this.fail(key, 'an address in CIDR form (a.b.c.d/nn)');
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  /** libcni accepts both booleans and the strings "true"/"false" for the list's switches. */
  boolish(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    this.fail(key, 'true or false');
  }

  int(
    key: string,
    min = Number.MIN_SAFE_INTEGER,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, `an integer in ${min}..${max}`);
    }
    return v;
  }

  object(key: string, required = false): FieldReader | undefined {
    const v = this.obj[key];
    if (v === undefined && !required) return undefined;
    if (!isObject(v)) this.fail(key, 'a JSON object');
    return new FieldReader(v, this.field(key), this.errorClass);
  }

  array(key: string, required = false): unknown[] | undefined {
    const v = this.obj[key];
    if (v === undefined && !required) return undefined;
    if (!Array.isArray(v)) this.fail(key, 'an array');
    return v;
  }

  /** Each element of an array of objects, as a reader with an indexed path. */
  objects(key: string, required = false): FieldReader[] | undefined {
    const items = this.array(key, required);
    return items?.map((item, i) =>
      FieldReader.of(item, `${this.field(key)}[${i}]`, this.errorClass),
    );
  }

  stringArray(key: string): string[] | undefined {
    const items = this.array(key);
    items?.forEach((item, i) => {
      if (typeof item !== 'string') this.fail(`${key}[${i}]`, 'a string', item);
    });
    return items as string[] | undefined;
  }
}
