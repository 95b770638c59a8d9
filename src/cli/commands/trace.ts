import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { printRaw, withRawOutput } from '../output.js';

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'trace',
    positionals: '[file]',
    describe:
      'trace a record (REPO@REF:/path, or an incident id) back to its camera frame, or a frame (--frame raw@REF:/path) forward, re-hashing every file',
    builder: (y) =>
      withRawOutput(withRoot(y))
        .positional('file', {
          type: 'string',
          describe:
            'a file of alerts, matches, detections, validated or warehouse, e.g. alerts@master:/u1-cam1/u1-cam1-r200-20261126T041500Z.json, or an incident id (u1-cam1-r200-20261126T041500Z), found in the history of alerts when withdrawn',
        })
        .option('frame', { type: 'string', describe: 'follow this camera frame forward instead: raw@REF:/<user>-<device>/<ts>.<ext>' })
        .option('verify', { type: 'boolean', describe: 'exit 1, naming the hop, when a hash differs or a commit or file is missing' }),
    handler: async (args) => {
      const { file, frame } = args;
      if (Boolean(file) === Boolean(frame)) {
        throw new VigilError(
          'name one file to trace back (vigil trace alerts@master:/u1-cam1/<incident>.json) or one frame to follow forward (vigil trace --frame raw@master:/u1-cam1/<ts>.jpg)',
        );
      }
      const store = await openStore(args);
      const { traceTarget } = await import('../trace-target.js');
      const { target, note } = await traceTarget(store, (file ?? frame)!, Boolean(file));
      if (note) process.stderr.write(`vigil: ${note}\n`);
      const { traceBack, traceForward } = await import('../../lineage/trace.js');
      const trace = file ? await traceBack(store, target) : await traceForward(store, target);
      if (args.raw) printRaw([trace], args.output);
      else process.stdout.write((await import('../trace-tree.js')).renderTrace(trace));
      if (!args.verify || trace.problems.length === 0) return 0;
      const lines = trace.problems.map((p) => `  ${p.hop}: ${p.problem}\n`).join('');
      process.stderr.write(
        `vigil: the trace does not verify, ${trace.problems.length} problem${trace.problems.length === 1 ? '' : 's'}:\n${lines}`,
      );
      return 1;
    },
  }),
];
