import { FlagsNew, type rt } from 'netlink';
import { afOf, bytesToIp, ipToBytes, parseCidr, type IpFamily } from './ip-address.js';
import { linkIndex, type LinkRef } from './link.js';
import type { Rtnl } from './rtnl.js';

export interface Address {
  /** Index of the link holding the address. */
  index: number;
  address: string;
  prefixLength: number;
  family: IpFamily;
  /** `address/prefixLength`. */
  cidr: string;
}

export interface AddressOptions {
  /** Skip IPv6 duplicate address detection (the address is usable at once). */
  nodad?: boolean;
}

export async function listAddresses(
  nl: Rtnl,
  filter: { index?: number; family?: IpFamily } = {},
): Promise<Address[]> {
  const data = filter.family === undefined ? {} : { family: afOf(filter.family) };
  const messages = await nl.read('list addresses', (s) => s.getAddresses(data));
  return messages
    .map(parseAddress)
    .filter((a) => filter.index === undefined || a.index === filter.index);
}

/** Adds `cidr` (e.g. `10.244.1.1/24`) to the device; the kernel adds the prefix route. */
export async function addAddress(
  nl: Rtnl,
  dev: LinkRef,
  cidr: string,
  options: AddressOptions = {},
): Promise<void> {
  const c = parseCidr(cidr);
  const index = await linkIndex(nl, dev);
  const bytes = ipToBytes(c.address);
  await nl.write(`add address ${cidr} dev ${dev}`, (s) =>
    s.newAddress(
      {
        family: afOf(c.family),
        prefixlen: c.prefixLength,
        index,
        flags: options.nodad ? { nodad: true } : {},
      },
      { local: bytes, address: bytes },
      { flags: FlagsNew.CREATE | FlagsNew.EXCL },
    ),
  );
}

export async function deleteAddress(nl: Rtnl, dev: LinkRef, cidr: string): Promise<void> {
  const c = parseCidr(cidr);
  const index = await linkIndex(nl, dev);
  const bytes = ipToBytes(c.address);
  await nl.write(`delete address ${cidr} dev ${dev}`, (s) =>
    s.delAddress(
      { family: afOf(c.family), prefixlen: c.prefixLength, index },
      { local: bytes, address: bytes },
    ),
  );
}

function parseAddress(m: rt.AddressMessage): Address {
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const raw = m.attrs.local ?? m.attrs.address ?? Buffer.alloc(4);
  const address = bytesToIp(raw);
  const prefixLength = m.data.prefixlen ?? 0;
  return {
    index: m.data.index ?? 0,
    address,
    prefixLength,
    family: raw.length === 4 ? 4 : 6,
    cidr: `${address}/${prefixLength}`,
  };
}
