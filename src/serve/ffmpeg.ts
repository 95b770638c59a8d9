/** ffmpeg (Debian's package) as a source of JPEG frames: a camera's stream or a recorded video, sampled at a rate. */
import { spawn } from 'node:child_process';
import { JpegSplitter } from './jpeg-stream.js';

export interface FrameSource {
  /** Resolves when ffmpeg ends: null on success, else why it failed (its last stderr line). */
  readonly ended: Promise<string | null>;
  stop(): void;
}

/** The ffmpeg arguments that read `input` and write its frames at `fps` as JPEGs on stdout. */
export function sampleArgs(input: string, fps: number): string[] {
  const transport = /^rtsps?:/.test(input) ? ['-rtsp_transport', 'tcp'] : [];
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    ...transport,
    '-i',
    input,
    '-vf',
    `fps=${fps}`,
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    'pipe:1',
  ];
}

/** Runs ffmpeg with `args`, calling `onFrame` for each JPEG it writes; frames are handed over one at a time (ffmpeg waits). */
export function ffmpegFrames(args: string[], onFrame: (jpeg: Buffer) => Promise<void>): FrameSource {
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const splitter = new JpegSplitter();
  let lastError = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    const line = d.trim().split('\n').at(-1);
    if (line) lastError = line;
  });
  const ended = (async (): Promise<string | null> => {
    const exited = new Promise<string | null>((resolve) => {
      child.on('error', (e) => resolve(`cannot run ffmpeg: ${(e as NodeJS.ErrnoException).code ?? e.message} (install Debian's ffmpeg)`));
      child.on('close', (code, signal) =>
        resolve(code === 0 ? null : `ffmpeg ${signal ? `killed by ${signal}` : `exited ${code}`}${lastError ? `: ${lastError}` : ''}`),
      );
    });
    try {
      for await (const chunk of child.stdout) for (const jpeg of splitter.push(chunk as Buffer)) await onFrame(jpeg);
    } catch (e) {
      child.kill('SIGKILL');
      await exited;
      return (e as Error).message;
    }
    return exited;
  })();
  return { ended, stop: () => child.kill('SIGKILL') };
}

/** The video's `creation_time` tag (ffprobe), or null when it has none. */
export async function videoCreationTime(file: string): Promise<Date | null> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile('ffprobe', ['-v', 'error', '-show_entries', 'format_tags=creation_time', '-of', 'default=nw=1:nk=1', file], (e, stdout) =>
      e ? reject(e) : resolve(stdout),
    ),
  );
  const text = out.trim();
  const date = text ? new Date(text) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}
