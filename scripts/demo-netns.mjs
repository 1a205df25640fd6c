// Interim demo (until the testbed lands): two network namespaces joined by a veth pair talk to
// each other over ICMP and TCP, then everything is removed.
import { createVethPair, sweepStaleNetns, withNetns } from '@switchyard/linux';

console.log('== Switchyard netns demo (interim: the multi-node testbed demo replaces this) ==');
await sweepStaleNetns();
await withNetns(['demoa', 'demob'], async (a, b) => {
  await createVethPair(
    { netns: a, name: 'veth-a', addresses: ['10.249.0.1/30'] },
    { netns: b, name: 'veth-b', addresses: ['10.249.0.2/30'] },
  );
  console.log(`namespace ${a.name}: veth-a 10.249.0.1/30`);
  console.log(`namespace ${b.name}: veth-b 10.249.0.2/30`);
  const ping = await a.exec(['ping', '-c', '3', '-i', '0.2', '10.249.0.2']);
  console.log(ping.stdout.trim().split('\n').slice(-2).join('\n'));
  const server = b.spawn(['node', '-e', serverSource()]);
  await new Promise((resolve) => server.stdout.once('data', resolve));
  const reply = await a.exec(['node', '-e', clientSource()]);
  console.log(`TCP from ${a.name} to ${b.name}:8080 answered: ${reply.stdout.trim()}`);
});
console.log('namespaces removed; nothing left behind');

function serverSource() {
  return `require('net').createServer(s => s.end('hello from ' + require('os').hostname() + ' via veth-b\\n'))
    .listen(8080, '10.249.0.2', () => console.log('listening'))`;
}
function clientSource() {
  return `require('net').connect(8080, '10.249.0.2').on('data', d => process.stdout.write(d))`;
}
