import { describe, expect, it } from 'vitest';
import {
  CniError,
  DecodingFailureError,
  ErrorCode,
  IncompatibleVersionError,
  InternalError,
  InvalidEnvironmentError,
  InvalidNetnsError,
  InvalidNetworkConfigError,
  IoFailureError,
  LimitedConnectivityError,
  PluginNotAvailableError,
  TryAgainLaterError,
  UnknownContainerError,
  UnsupportedFieldError,
  cniErrorFor,
  toCniError,
} from '../src/index.js';

describe('CNI errors', () => {
  it('has one class per well-known code and prints the spec JSON', () => {
    const cases: [new (m: string, d?: string) => CniError, number][] = [
      [IncompatibleVersionError, 1],
      [UnsupportedFieldError, 2],
      [UnknownContainerError, 3],
      [InvalidEnvironmentError, 4],
      [IoFailureError, 5],
      [DecodingFailureError, 6],
      [InvalidNetworkConfigError, 7],
      [InvalidNetnsError, 8],
      [TryAgainLaterError, 11],
      [PluginNotAvailableError, 50],
      [LimitedConnectivityError, 51],
      [InternalError, 999],
    ];
    for (const [Cls, code] of cases) {
      const e = new Cls('went wrong', 'because');
      expect(e.code).toBe(code);
      expect(JSON.parse(JSON.stringify(e))).toEqual({
        cniVersion: '1.1.0',
        code,
        msg: 'went wrong',
        details: 'because',
      });
      // The runtime side maps a printed code back to the same class.
      expect(cniErrorFor(code, 'm')).toBeInstanceOf(Cls);
    }
    expect(Object.values(ErrorCode).sort((a, b) => a - b)).toEqual(cases.map(([, c]) => c));
  });

  it('keeps plugin codes (100+) and turns anything else into code 999 without a stack', () => {
    const own = cniErrorFor(142, 'vendor trouble');
    expect(own.code).toBe(142);
    expect(own).toBeInstanceOf(CniError);
    const wrapped = toCniError(new RangeError('index out of range'));
    expect(wrapped.code).toBe(999);
    expect(JSON.stringify(wrapped)).not.toContain('at ');
    expect(wrapped.msg).toBe('index out of range');
    expect(toCniError('plain string').msg).toContain('plain string');
    expect(JSON.stringify(new InternalError('x'))).toBe(
      '{"cniVersion":"1.1.0","code":999,"msg":"x"}',
    );
  });
});
