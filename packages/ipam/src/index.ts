export {
  AlreadyAllocatedError,
  ConfigDecodeError,
  InvalidAddressError,
  InvalidRangeError,
  IpamConfigError,
  IpamError,
  NotAllocatedError,
  RangeExhaustedError,
  RequestedAddressError,
  StoreError,
} from './errors.js';
export { IpAddress, type IpFamily } from './ip-address.js';
export { Cidr, type CidrParseOptions } from './cidr.js';
export { IpRange, type RangeConfig } from './ip-range.js';
export { RangeSet, assertDisjointRangeSets, type Candidate } from './range-set.js';
