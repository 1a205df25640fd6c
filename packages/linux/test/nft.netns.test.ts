import { describe, expect, it } from 'vitest';
import {
  NftError,
  NftTransaction,
  createVethPair,
  listNftRuleset,
  listNftTable,
  ruleCounter,
  withNetns,
} from '../src/index.js';
import { netnsLifecycle } from './helpers.js';

netnsLifecycle();

describe('nftables transactions inside a namespace', () => {
  it('applies a whole transaction, drops real packets, and reads counters back as typed JSON', async () => {
    await withNetns(['client', 'server'], async (client, server) => {
      await createVethPair(
        { netns: client, name: 'c0', addresses: ['10.207.0.1/24'] },
        { netns: server, name: 's0', addresses: ['10.207.0.2/24'] },
      );
      const tx = new NftTransaction().add(
        'table inet sy_test {',
        '  set blocked { type ipv4_addr; elements = { 10.207.0.1 } }',
        '  chain input {',
        '    type filter hook input priority 0; policy accept;',
        '    ip saddr @blocked icmp type echo-request counter drop comment "blocked clients"',
        '  }',
        '}',
      );
      await tx.check({ netns: server });
      await tx.apply({ netns: server });

      const ping = await client.execUnchecked(['ping', '-c', '2', '-W', '1', '10.207.0.2']);
      expect(ping.stdout).toMatch(/0 received/);

      const table = await listNftTable('inet', 'sy_test', { netns: server });
      expect(table.tables).toEqual([expect.objectContaining({ family: 'inet', name: 'sy_test' })]);
      expect(table.chains).toEqual([
        expect.objectContaining({
          name: 'input',
          type: 'filter',
          hook: 'input',
          prio: 0,
          policy: 'accept',
        }),
      ]);
      expect(table.sets).toEqual([
        expect.objectContaining({ name: 'blocked', type: 'ipv4_addr', elements: ['10.207.0.1'] }),
      ]);
      expect(table.rules).toHaveLength(1);
      expect(table.rules[0]!.comment).toBe('blocked clients');
      expect(ruleCounter(table.rules[0]!)?.packets).toBe(2);

      // The client's namespace has no rules at all: nft ran where we asked.
      expect((await listNftRuleset({ netns: client })).tables).toEqual([]);

      await new NftTransaction()
        .add('delete element inet sy_test blocked { 10.207.0.1 }')
        .apply({ netns: server });
      const ok = await client.exec(['ping', '-c', '1', '-W', '2', '10.207.0.2']);
      expect(ok.stdout).toMatch(/1 received/);
    });
  });

  it('applies nothing when one command of the transaction fails', async () => {
    await withNetns(['atomic'], async (ns) => {
      await new NftTransaction()
        .add('add table ip sy_atomic', 'add chain ip sy_atomic c')
        .apply({ netns: ns });
      const bad = new NftTransaction().add(
        'add rule ip sy_atomic c counter accept',
        'add rule ip sy_atomic missing_chain counter accept',
        'add chain ip sy_atomic d',
      );
      const err = await bad.apply({ netns: ns }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NftError);
      expect((err as NftError).stderr).toMatch(/missing_chain|No such file/);
      const after = await listNftTable('ip', 'sy_atomic', { netns: ns });
      expect(after.rules).toEqual([]);
      expect(after.chains.map((c) => c.name)).toEqual(['c']);
      await expect(listNftTable('ip', 'absent', { netns: ns })).rejects.toBeInstanceOf(NftError);
    });
  });
});
