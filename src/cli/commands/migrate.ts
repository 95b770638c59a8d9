import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { requireStoreRoot } from '../open-store.js';

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'migrate',
    describe: 'upgrade a store written by an older vigil to the current format, in place (safe to run again after a kill)',
    builder: (y) => withRoot(y),
    handler: async (args) => {
      const { migrateStore } = await import('../../engine/store/migrate.js');
      const { migrateJobRecords } = await import('../../engine/pps/migrate-jobs.js');
      await migrateStore(requireStoreRoot(args), { say: (line) => process.stdout.write(`${line}\n`), more: migrateJobRecords });
    },
  }),
];
