import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DailyReport } from '../../../specs/index.js';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { printTable } from '../output.js';
import { latestReports } from '../reports-repo.js';

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The command that shows a file in the desktop's browser: $BROWSER when set, else the platform's opener. */
function opener(): { cmd: string; args: string[] } {
  if (process.env.BROWSER) return { cmd: process.env.BROWSER, args: [] };
  if (process.platform === 'darwin') return { cmd: 'open', args: [] };
  if (process.platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""'] };
  return { cmd: 'xdg-open', args: [] };
}

async function openInBrowser(file: string): Promise<void> {
  const { cmd, args } = opener();
  await new Promise<void>((resolveSpawn, reject) => {
    const child = spawn(cmd, [...args, file], { detached: true, stdio: 'ignore' });
    child.once('error', (e) => reject(new VigilError(`cannot open a browser with ${cmd} (${e.message}); the report is ${file}`)));
    child.once('spawn', () => {
      child.unref();
      resolveSpawn();
    });
  });
}

function printSummary(report: DailyReport, commit: string, html: string): void {
  const t = report.totals;
  process.stdout.write(
    `Daily threat report ${report.day} (UTC), from reports@${commit}\n` +
      `threats ${t.threats} · users ${t.usersWithThreats} · devices ${t.devicesWithThreats} · incidents ${t.incidents} · ` +
      `alerts sent ${t.alertsSent}, failed ${t.alertsFailed}\n` +
      `frames analysed ${t.framesAnalysed} (${t.unmatchedFrames} with no threat) · frames rejected ${t.rejectedFrames}\n\n`,
  );
  for (const c of report.unsubscribedCameras) {
    process.stdout.write(
      `warning: ${c.frames} frame(s) from camera ${c.user}-${c.device}, which no subscription names: no rule could fire for them (add it to subscriptions.yaml)\n`,
    );
  }
  if (report.unsubscribedCameras.length > 0) process.stdout.write('\n');
  if (report.threatsByUser.length > 0) {
    printTable(
      ['USER', 'THREATS', 'DEVICES', 'CRITICAL', 'ERROR', 'WARNING', 'INFO'],
      report.threatsByUser.map((u) => [u.user, u.threats, u.devices, u.critical, u.error, u.warning, u.info].map(String)),
    );
    process.stdout.write('\n');
  }
  process.stdout.write(`HTML: ${html}\n`);
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'report',
    noun: 'daily',
    describe: "show a day's threat report from reports@master (default: the latest day) and write its HTML page",
    builder: (y) =>
      withRoot(y)
        .option('date', { type: 'string', describe: 'the UTC day, YYYY-MM-DD (default: the latest day with a report)' })
        .option('out', { type: 'string', describe: 'where to write the HTML page (default: vigil-report-<day>.html in the temp folder)' })
        .option('open', { type: 'boolean', describe: 'open the page in the browser ($BROWSER, else the desktop default)' }),
    handler: async (args) => {
      const { date } = args;
      if (date !== undefined && !DAY_RE.test(date)) throw new VigilError(`--date ${date}: write the day as YYYY-MM-DD, e.g. 2026-11-26`);
      const reports = await latestReports(await openStore(args));
      const days = reports.files
        .map((f) => /^\/daily\/(\d{4}-\d{2}-\d{2})\.json$/.exec(f.path)?.[1])
        .filter((d): d is string => d !== undefined)
        .sort();
      if (days.length === 0) throw new VigilError(`reports@${reports.commit.id} has no daily report: the warehouse holds no records yet`);
      const day = date ?? days[days.length - 1];
      if (!days.includes(day)) {
        throw new VigilError(
          `no report for ${day} in reports@${reports.commit.id}; days with a report: ${days.slice(-10).join(', ')}${days.length > 10 ? ` (and ${days.length - 10} earlier)` : ''}`,
        );
      }
      const json = `/daily/${day}.json`;
      const { assertValid } = await import('../../../specs/index.js');
      const report = assertValid(
        'daily-report',
        JSON.parse(await readFile(reports.blob(json), 'utf8')),
        `reports@${reports.commit.id}:${json}`,
      );
      const html = resolve(args.out ?? join(tmpdir(), `vigil-report-${day}.html`));
      await mkdir(dirname(html), { recursive: true });
      // Written, not copied: a copy would keep the blob's read-only mode and block the next run.
      await writeFile(html, await readFile(reports.blob(`/daily/${day}.html`)));
      printSummary(report, reports.commit.id, html);
      if (args.open) await openInBrowser(html);
    },
  }),
];
