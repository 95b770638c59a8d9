import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore, requireStoreRoot } from '../open-store.js';
import { printRaw, printTable, withRawOutput } from '../output.js';

/** `vigil device add|list|revoke`: the cameras' tokens for `vigil serve` (src/serve/devices.ts). */
export const commands: CliCommand[] = [
  defineCommand({
    verb: 'device',
    noun: 'add',
    positionals: '<device>',
    describe: 'make a token for camera <user>-<device>; it is printed once, only its sha256 is kept',
    builder: (y) => withRoot(y).positional('device', { type: 'string', describe: '<user>-<device>' }),
    handler: async (args) => {
      const { addToken } = await import('../../serve/devices.js');
      const { token, record } = await addToken((await openStore(args)).root, args.device);
      process.stdout.write(`${token}\n`);
      process.stderr.write(`token ${record.id} for ${record.device}: shown only now; send it as "Authorization: Bearer <token>"\n`);
    },
  }),
  defineCommand({
    verb: 'device',
    noun: 'list',
    describe: "the cameras' tokens (ids, never the tokens)",
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const { devicesRegistry } = await import('../../serve/devices.js');
      const { readRegistry } = await import('../../serve/registry-file.js');
      const tokens = readRegistry(devicesRegistry(requireStoreRoot(args))).tokens.map(({ sha256: _hash, ...shown }) => shown);
      if (args.raw) printRaw(tokens, args.output);
      else
        printTable(
          ['ID', 'DEVICE', 'CREATED', 'STATUS'],
          tokens.map((t) => [t.id, t.device, t.created, t.revoked ? `revoked ${t.revoked}` : 'live']),
        );
    },
  }),
  defineCommand({
    verb: 'device',
    noun: 'revoke',
    positionals: '<device>',
    describe: "revoke a camera's tokens (all, or --token ID); a running server refuses them at once",
    builder: (y) =>
      withRoot(y)
        .positional('device', { type: 'string', describe: '<user>-<device>' })
        .option('token', { type: 'string', describe: 'only the token with this id (vigil device list)' }),
    handler: async (args) => {
      const { revokeTokens } = await import('../../serve/devices.js');
      const revoked = await revokeTokens((await openStore(args)).root, args.device, args.token);
      process.stdout.write(`revoked ${revoked.map((t) => t.id).join(', ')} of ${args.device}\n`);
    },
  }),
];
