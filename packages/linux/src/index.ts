export {
  CommandError,
  InvalidAddressError,
  NativeAddonError,
  NetlinkError,
  NetnsError,
} from './errors.js';
export { run, runUnchecked, type RunOptions, type RunResult } from './run.js';
export { isProcessAlive, processStartTime } from './process-identity.js';
export {
  NETNS_DIR,
  Netns,
  createNetns,
  listNetns,
  liveNetns,
  sweepStaleNetns,
  withNetns,
} from './netns.js';
export { createVethPair, type VethEnd } from './veth.js';
export { buildNativeNetns } from './native-netns.js';
export { inNetns, netnsPath, type NetnsTarget } from './netns-enter.js';
export {
  AF_BRIDGE,
  AF_INET,
  AF_INET6,
  bytesToIp,
  bytesToMac,
  cidrContains,
  formatCidr,
  ipFamily,
  ipToBytes,
  isMac,
  macToBytes,
  networkOf,
  parseCidr,
  type Cidr,
  type IpFamily,
} from './ip-address.js';
export { netnsId } from './netnsid.js';
export { Rtnl, pipelined, type RtnlCounters, type RtnlOptions } from './rtnl.js';
export {
  createBridge,
  createVeth,
  createVxlan,
  deleteLink,
  getLink,
  linkIndex,
  listLinks,
  setLink,
  type Link,
  type LinkChanges,
  type LinkRef,
  type VethOptions,
  type VxlanInfo,
  type VxlanOptions,
} from './link.js';
export { getBridgePort, setBridgePortHairpin, type BridgePort } from './bridge-port.js';
export {
  addAddress,
  deleteAddress,
  listAddresses,
  type Address,
  type AddressOptions,
} from './address.js';
export {
  RTPROT_STATIC,
  TABLE_MAIN,
  addRoute,
  deleteRoute,
  listRoutes,
  type Route,
  type RouteScope,
  type RouteSpec,
} from './route.js';
export {
  deleteNeighbour,
  listNeighbours,
  setNeighbour,
  type Neighbour,
  type NeighbourSpec,
} from './neighbour.js';
export { ZERO_MAC, appendFdb, deleteFdb, listFdb, type FdbEntry, type FdbSpec } from './fdb.js';
export { SysctlError, readSysctl, sysctlPath, writeSysctl, type SysctlOptions } from './sysctl.js';
export { NftError, NftTransaction, nft, type NftOptions } from './nft-transaction.js';
export {
  listNftRuleset,
  listNftTable,
  parseNftJson,
  ruleCounter,
  type NftChain,
  type NftExpression,
  type NftRule,
  type NftRuleset,
  type NftSet,
  type NftTable,
} from './nft-json.js';
export { NftNetlink, type NftNetlinkOptions } from './nft-netlink.js';
export type {
  NftElement,
  NftElementOp,
  NftFamily,
  NftRuleInfo,
  NftTableRef,
  NftValue,
  NftVerdict,
} from './nft-netlink-codec.js';
