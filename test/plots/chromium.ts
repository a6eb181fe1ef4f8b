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

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

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

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--remote-debugging-pipe",
  "--disable-quic",
  "--no-first-run",
  "--disable-breakpad",
  "--disable-crash-reporter",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
  "--window-size=1280,900",
];
const PAGE_WIDTH_PX = 1280;
/** Chromium refuses captures much taller than this. */
const MAX_SCREENSHOT_HEIGHT_PX = 16_000;

export async function inspectPage(url: string, options: InspectOptions = {}): Promise<PageReport> {
  const profile = mkdtempSync(join(tmpdir(), "raysim-chromium-"));
  const child = spawn(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "about:blank"], {
    stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"],
  });
  const devtools = new DevToolsPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error("chromium did not finish in time")),
      options.timeoutMs ?? 30_000,
    ).unref(),
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    return await Promise.race([inspect(devtools, url, options), timeout]);
  } finally {
    // Chromium keeps writing its profile until it exits; only then can the folder go.
    const grace = setTimeout(() => child.kill("SIGKILL"), 5_000);
    if (child.exitCode === null) child.kill();
    await exited;
    clearTimeout(grace);
    // Helper processes may still be writing to the profile; its removal is best effort (in tmp).
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch(
      () => undefined,
    );
  }
}

async function inspect(
  devtools: DevToolsPipe,
  url: string,
  options: InspectOptions,
): Promise<PageReport> {
  const consoleErrors: string[] = [];
  let loaded!: () => void;
  const loadFired = new Promise<void>((resolve) => (loaded = resolve));
  devtools.listen((m) => {
    if (m.method === "Page.loadEventFired") loaded();
    const error = errorOf(m);
    if (error !== undefined) consoleErrors.push(error);
  });
  const version = await devtools.send("Browser.getVersion");
  const browser = String(version.result!.product);
  const target = await devtools.send("Target.createTarget", { url: "about:blank" });
  const attached = await devtools.send("Target.attachToTarget", {
    targetId: target.result!.targetId,
    flatten: true,
  });
  const session = attached.result!.sessionId as string;
  for (const domain of ["Page", "Runtime", "Log"])
    await devtools.send(`${domain}.enable`, {}, session);
  await devtools.send("Page.navigate", { url }, session);
  await loadFired;
  const evaluated = await devtools.send(
    "Runtime.evaluate",
    { expression: PAGE_CHECK, returnByValue: true },
    session,
  );
  const counts = (
    evaluated.result!.result as { value: Omit<PageReport, "browser" | "consoleErrors"> }
  ).value;
  if (options.screenshotPath !== undefined) {
    const metrics = await devtools.send("Page.getLayoutMetrics", {}, session);
    const size = metrics.result!.cssContentSize as { width: number; height: number };
    await screenshot(
      devtools,
      session,
      options.screenshotPath,
      0,
      Math.min(size.height, MAX_SCREENSHOT_HEIGHT_PX),
    );
  }
  for (const slice of options.slices ?? [])
    await screenshot(devtools, session, slice.path, slice.y, slice.height);
  await devtools.send("Browser.close").catch(() => undefined);
  return { browser, consoleErrors, ...counts };
}

/** What a reader's console would show as an error, if the message is one. */
function errorOf(m: Message): string | undefined {
  if (m.method === "Runtime.exceptionThrown") return `exception: ${JSON.stringify(m.params)}`;
  const type = m.params?.type;
  if (m.method === "Runtime.consoleAPICalled" && (type === "error" || type === "assert")) {
    return `console.${type}: ${JSON.stringify(m.params?.args)}`;
  }
  if (m.method === "Log.entryAdded") {
    const entry = m.params?.entry as { level?: string; text?: string; url?: string } | undefined;
    if (entry?.level === "error") return `log: ${entry.text ?? ""} ${entry.url ?? ""}`;
  }
  return undefined;
}

async function screenshot(
  devtools: DevToolsPipe,
  session: string,
  path: string,
  yPx: number,
  heightPx: number,
): Promise<void> {
  const clip = { x: 0, y: yPx, width: PAGE_WIDTH_PX, height: heightPx, scale: 1 };
  const shot = await devtools.send(
    "Page.captureScreenshot",
    { format: "png", captureBeyondViewport: true, clip },
    session,
  );
  writeFileSync(path, Buffer.from(shot.result!.data as string, "base64"));
}

/** The DevTools protocol over Chromium's pipe: requests matched to replies by id, events to listeners. */
class DevToolsPipe {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (m: Message) => void; reject: (e: Error) => void }
  >();
  private readonly listeners: ((m: Message) => void)[] = [];
  private buffer = "";

  constructor(
    private readonly toChrome: Writable,
    fromChrome: Readable,
  ) {
    fromChrome.on("data", (chunk: Buffer) => this.receive(chunk.toString("utf8")));
  }

  listen(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      const message = { id, method, params, ...(sessionId === undefined ? {} : { sessionId }) };
      this.toChrome.write(JSON.stringify(message) + "\0");
    });
  }

  private receive(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf("\0")) >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end)) as Message;
      this.buffer = this.buffer.slice(end + 1);
      if (message.id === undefined) {
        for (const listener of this.listeners) listener(message);
        continue;
      }
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message);
    }
  }
}
