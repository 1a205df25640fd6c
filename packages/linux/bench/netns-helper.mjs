// The rejected alternative, kept for the benchmark only: a helper process started inside the
// namespace (`nsenter --net=PATH node netns-helper.mjs`) that performs one batch and exits.
import { Rtnl, addAddress, addRoute, setLink } from '@switchyard/linux';

const { dev, address, gateway } = JSON.parse(process.argv[2]);
const nl = Rtnl.open();
try {
  await setLink(nl, dev, { up: true });
  await addAddress(nl, dev, address);
  await addRoute(nl, { dst: 'default', gateway, dev });
} finally {
  nl.close();
}
