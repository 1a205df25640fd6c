export {
  AlreadyAllocatedError,
  InvalidAddressError,
  InvalidRangeError,
  IpamConfigError,
  IpamError,
  LockTimeoutError,
  NotAllocatedError,
  RangeExhaustedError,
  RequestedAddressError,
  StoreError,
} from './errors.js';
export { IpAddress, type IpFamily } from './ip-address.js';
export { Cidr, type CidrParseOptions } from './cidr.js';
export { IpRange, type RangeConfig } from './ip-range.js';
export { RangeSet, assertDisjointRangeSets, type Candidate } from './range-set.js';
export type { Allocation, AllocationStore, Attachment } from './store.js';
export { DEFAULT_DATA_DIR, DiskStore, type DiskStoreOptions } from './disk-store.js';
export { DEFAULT_LOCK_TIMEOUT_MS, FileLock } from './file-lock.js';
export { Allocator, type AllocateRequest, type AllocatedAddress } from './allocator.js';
export { collectGarbage, type ValidAttachment } from './gc.js';
export { JournalStore, type JournalStoreOptions } from './journal-store.js';
export { parseIpamConfig, type IpamConfig, type RouteConfig } from './ipam-config.js';
export { parseResolvConf, readResolvConf, type DnsConfig } from './resolv-conf.js';
export { nodeRangeConfigs, nodeRangeSets, type NodeLike } from './node-ranges.js';
