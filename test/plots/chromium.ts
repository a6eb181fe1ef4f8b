/**
 * Loads a page in headless Chromium (Debian's `chromium` package) and reports what a reader would
 * see: console errors and exceptions, failed loads, how many charts there are and how many have
 * both axes, and optionally a full-page screenshot. Talks the DevTools protocol over
 * --remote-debugging-pipe (JSON messages separated by NUL on fds 3 and 4), so no websocket
 * client or puppeteer is needed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

export const CHROMIUM = process.env.RAYSIM_CHROMIUM ?? "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** A chart's laid-out box, in CSS px, named by its SVG <title>. */
export interface ChartBox {
  title: string;
  widthPx: number;
  heightPx: number;
}

export interface PageReport {
  /** What Chromium reports as its product, e.g. "Chrome/150.0.7871.100": proof it really ran. */
  browser: string;
  /** Console errors and assertions, uncaught page exceptions, and error log entries (failed loads). */
  consoleErrors: string[];
  charts: number;
  chartsWithAxes: number;
  /** One per chart SVG, from getBoundingClientRect(). */
  chartBoxes: ChartBox[];
  sections: number;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

const PAGE_CHECK = `(() => {
  const charts = [...document.querySelectorAll("svg.raysim-chart")];
  const withAxes = charts.filter((svg) => svg.querySelector("g.axis-x .tick") && svg.querySelector("g.axis-y .tick") && svg.getBoundingClientRect().width > 100);
  const chartBoxes = charts.map((svg) => {
    const box = svg.getBoundingClientRect();
    return { title: svg.querySelector("title")?.textContent ?? "", widthPx: box.width, heightPx: box.height };
  });
  return { charts: charts.length, chartsWithAxes: withAxes.length, chartBoxes, sections: document.querySelectorAll("section.entry").length };
})()`;

export interface InspectOptions {
  /** Full-page screenshot (PNG) to this path. */
  screenshotPath?: string;
  /** Also screenshots of page slices, for reading a long page piece by piece. */
  slices?: readonly { path: string; y: number; height: number }[];
  timeoutMs?: number;
}

export async function inspectPage(url: string, options: InspectOptions = {}): Promise<PageReport> {
  const profile = mkdtempSync(join(tmpdir(), "raysim-chromium-"));
  const child = spawn(
    CHROMIUM,
    ["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", `--user-data-dir=${profile}`, "--disable-quic", "--no-first-run", "--disable-breakpad", "--disable-crash-reporter", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=1280,900", "about:blank"],
    { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] },
  );
  const toChrome = child.stdio[3] as Writable;
  const fromChrome = child.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffer = "";
  fromChrome.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let end: number;
    while ((end = buffer.indexOf("\0")) >= 0) {
      const message = JSON.parse(buffer.slice(0, end)) as Message;
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message);
      } else for (const l of listeners) l(message);
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toChrome.write(JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }) + "\0");
    });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("chromium did not finish in time")), options.timeoutMs ?? 30_000).unref());
  const work = async (): Promise<PageReport> => {
    const consoleErrors: string[] = [];
    let loaded!: () => void;
    const loadFired = new Promise<void>((resolve) => (loaded = resolve));
    listeners.push((m) => {
      if (m.method === "Page.loadEventFired") loaded();
      if (m.method === "Runtime.exceptionThrown") consoleErrors.push(`exception: ${JSON.stringify(m.params)}`);
      if (m.method === "Runtime.consoleAPICalled" && (m.params?.type === "error" || m.params?.type === "assert")) consoleErrors.push(`console.${String(m.params?.type)}: ${JSON.stringify(m.params?.args)}`);
      if (m.method === "Log.entryAdded") {
        const entry = m.params?.entry as { level?: string; text?: string; url?: string } | undefined;
        if (entry?.level === "error") consoleErrors.push(`log: ${entry.text ?? ""} ${entry.url ?? ""}`);
      }
    });
    const version = await send("Browser.getVersion");
    const browser = String(version.result!.product);
    const target = await send("Target.createTarget", { url: "about:blank" });
    const attached = await send("Target.attachToTarget", { targetId: target.result!.targetId, flatten: true });
    const session = attached.result!.sessionId as string;
    await send("Page.enable", {}, session);
    await send("Runtime.enable", {}, session);
    await send("Log.enable", {}, session);
    await send("Page.navigate", { url }, session);
    await loadFired;
    const evaluated = await send("Runtime.evaluate", { expression: PAGE_CHECK, returnByValue: true }, session);
    const counts = (evaluated.result!.result as { value: Omit<PageReport, "browser" | "consoleErrors"> }).value;
    if (options.screenshotPath !== undefined) {
      const metrics = await send("Page.getLayoutMetrics", {}, session);
      const size = metrics.result!.cssContentSize as { width: number; height: number };
      const shot = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1280, height: Math.min(size.height, 16000), scale: 1 } }, session);
      writeFileSync(options.screenshotPath, Buffer.from(shot.result!.data as string, "base64"));
    }
    for (const slice of options.slices ?? []) {
      const shot = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip: { x: 0, y: slice.y, width: 1280, height: slice.height, scale: 1 } }, session);
      writeFileSync(slice.path, Buffer.from(shot.result!.data as string, "base64"));
    }
    await send("Browser.close").catch(() => undefined);
    return { browser, consoleErrors, ...counts };
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    // Chromium keeps writing its profile until it exits; only then can the folder go.
    const grace = setTimeout(() => child.kill("SIGKILL"), 5_000);
    if (child.exitCode === null) child.kill();
    await exited;
    clearTimeout(grace);
    // Helper processes may still be writing to the profile; its removal is best effort (in tmp).
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch(() => undefined);
  }
}
