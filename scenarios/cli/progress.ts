/**
 * Progress for long runs and sweeps, on stderr so stdout stays for results: a cli-progress bar on a
 * terminal; on anything else (CI logs, pipes) a plain line at most every two seconds, and none for
 * work that finishes sooner. Updates are cheap to call from a hot loop: the bar redraws at most at
 * its frame rate, and the plain reporter only compares clocks.
 */
import cliProgress from "cli-progress";

export interface ProgressReporter {
  /** Progress so far, from 0 to `total` (fractions allowed). */
  update(done: number): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** What is counted, for the plain lines ("runs"); none for a single run shown as %. */
  unit?: string;
  stream?: ProgressStream;
  /** Force plain lines even on a terminal (tests). */
  plain?: boolean;
  /** Plain lines at most this often (default 2 s): an hour-long sweep wants fewer. */
  intervalMs?: number;
}

/** Where progress goes: stderr, or any writable that says whether it is a terminal. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

const PLAIN_INTERVAL_MS = 2000;

export function startProgress(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY === true && options.plain !== true) return barReporter(options, stream);
  return plainReporter(options, stream);
}

function barReporter(options: ProgressOptions, stream: ProgressStream): ProgressReporter {
  const scale = options.unit === undefined ? 1000 : 1;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {percentage}% | {duration_formatted} elapsed, ~{eta_formatted} left${options.unit === undefined ? "" : ` | {value}/{total} ${options.unit}`}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, Math.round(options.total * scale)), 0);
  return {
    update: (done) => bar.update(Math.min(options.total, done) * scale),
    stop: () => {
      bar.update(options.total * scale);
      bar.stop();
    },
  };
}

function plainReporter(options: ProgressOptions, stream: ProgressStream): ProgressReporter {
  const startMs = Date.now();
  let lastMs = startMs;
  let last = 0;
  let printed = false;
  const line = (done: number) => {
    const seconds = ((Date.now() - startMs) / 1000).toFixed(1);
    const percent = ((100 * done) / Math.max(options.total, 1e-9)).toFixed(0);
    const count =
      options.unit === undefined ? "" : ` (${Math.floor(done)}/${options.total} ${options.unit})`;
    stream.write(`${options.label}: ${percent}%${count}, ${seconds} s\n`);
    printed = true;
  };
  return {
    update: (done) => {
      last = done;
      const nowMs = Date.now();
      if (nowMs - lastMs < (options.intervalMs ?? PLAIN_INTERVAL_MS)) return;
      lastMs = nowMs;
      line(done);
    },
    stop: () => {
      if (printed) line(Math.max(last, options.total));
    },
  };
}
