/**
 * The HTML report: one self-contained page (inline CSS and SVG; no script, no font, nothing fetched)
 * listing every run and sweep with its description, parameters and seeds, its charts, and a table
 * of headline figures beside their reference values with the difference. A pure function of its
 * entries; scenarios/output/report-build.ts gathers them from the results folder.
 */
import { escapeXml } from "./svg.js";
import { formatValue } from "./units.js";

export interface ReportHeadline {
  /** The grid point of a sweep ("servers=4, utilisation=0.9"); absent for a single run. */
  context?: string;
  label: string;
  unit: string;
  value: number;
  /** The 95% confidence interval across seeds (sweeps). */
  ci?: readonly [number, number];
  n?: number;
  reference?: number;
  source?: string;
  /** The reference belongs to a larger setup (the paper's full size): marked, no difference. */
  scaledDown?: boolean;
  absolute?: number;
  relative?: number;
}

export interface ReportEntry {
  /** Unique on the page, used for links: "mmc-queue/quick-s1". */
  anchor: string;
  kind: "run" | "sweep";
  scenario: string;
  title: string;
  description: string;
  id: string;
  facts: readonly (readonly [string, string])[];
  params: readonly (readonly [string, string])[];
  headlines: readonly ReportHeadline[];
  charts: readonly { title: string; svg: string }[];
  files: readonly { label: string; href: string }[];
}

export interface ReportInput {
  title: string;
  /** One line under the title: the tool and code version. */
  subtitle: string;
  entries: readonly ReportEntry[];
}

const STYLE = `
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#222;margin:0;background:#f6f6f4;line-height:1.45}
header{background:#2f3e4e;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{max-width:1360px;margin:0 auto;padding:12px 28px 40px}
nav ol{margin:8px 0 0;padding-left:22px;font-size:14px}
section.entry{background:#fff;border:1px solid #ddd;border-radius:6px;padding:16px 22px;margin:22px 0}
h2{font-size:19px;margin:0 0 4px}h2 .id{font-weight:normal;color:#666;font-size:14px}
h3{font-size:15px;margin:18px 0 6px}
p.description{max-width:100ch;font-size:14px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;margin:8px 0}
dl.facts dt{color:#666}dl.facts dd{margin:0}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f0f0ee}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.source{color:#555;max-width:48ch}
code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:92%;background:#f0f0ee;padding:0 3px;border-radius:3px}
.ok{color:#2e7d32}.off{color:#b23c17}
.charts{display:flex;flex-wrap:wrap;gap:14px}
figure.chart{margin:0;flex:1 1 560px;max-width:680px}
figure.chart svg{width:100%;height:auto;display:block;border:1px solid #eee}
ul.files{font-size:13px;columns:3 220px;padding-left:18px}
@media print{body{background:#fff}section.entry{break-inside:avoid-page;border:none}header{background:#fff;color:#000}}
`;

function definitionList(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return "";
  return `<dl class="facts">${pairs.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join("")}</dl>`;
}

/** A difference in the headline's unit; for fractions in percentage points, not percent. */
function signed(value: number, unit: string): string {
  const text =
    unit === "fraction" ? `${formatValue(value * 100, "")} pp` : formatValue(value, unit);
  return value > 0 ? `+${text}` : text;
}

/** "+1.3%", "−0.4%" (d3's minus sign, as in the values), "0.0%" rather than "−0.0%". */
function signedPercent(fraction: number): string {
  const text = Math.abs(100 * fraction).toFixed(1);
  if (text === "0.0") return "0.0%";
  return (fraction > 0 ? "+" : "−") + text + "%";
}

function differenceCell(h: ReportHeadline): string {
  if (h.scaledDown === true) return `<td class="num">scaled down</td>`;
  if (h.absolute === undefined || !Number.isFinite(h.absolute)) return `<td class="num">—</td>`;
  const relative =
    h.relative !== undefined && Number.isFinite(h.relative)
      ? ` (${signedPercent(h.relative)})`
      : "";
  return `<td class="num">${escapeXml(signed(h.absolute, h.unit) + relative)}</td>`;
}

function inCiCell(h: ReportHeadline): string {
  if (h.ci === undefined || h.reference === undefined || h.scaledDown === true) return "<td>—</td>";
  const inside = h.reference >= h.ci[0] && h.reference <= h.ci[1];
  return inside ? `<td class="ok">yes</td>` : `<td class="off">no</td>`;
}

function headlineTable(headlines: readonly ReportHeadline[], sweep: boolean): string {
  if (headlines.length === 0) return "";
  const head = sweep
    ? "<tr><th>grid point</th><th>figure</th><th>mean</th><th>95% CI</th><th>reference</th><th>difference</th><th>reference in CI</th><th>source</th></tr>"
    : "<tr><th>figure</th><th>measured</th><th>reference</th><th>difference</th><th>source</th></tr>";
  // Sweeps list a figure's grid points together, and name its source once.
  const ordered = sweep
    ? [...headlines].sort((a, b) => labelRank(headlines, a.label) - labelRank(headlines, b.label))
    : headlines;
  const rows = ordered.map((h, i) => {
    const value = `<td class="num">${escapeXml(formatValue(h.value, h.unit))}</td>`;
    const reference = `<td class="num">${h.reference === undefined ? "—" : escapeXml(formatValue(h.reference, h.unit))}</td>`;
    const repeated =
      sweep && i > 0 && ordered[i - 1]!.label === h.label && ordered[i - 1]!.source === h.source;
    const source = `<td class="source">${repeated ? "″" : escapeXml(h.source ?? "")}</td>`;
    if (!sweep)
      return `<tr><td>${escapeXml(h.label)}</td>${value}${reference}${differenceCell(h)}${source}</tr>`;
    const ci =
      h.ci === undefined || h.ci[0] === h.ci[1]
        ? "—"
        : `${formatValue(h.ci[0], h.unit)} – ${formatValue(h.ci[1], h.unit)}`;
    return `<tr><td>${escapeXml(h.context ?? "")}</td><td>${escapeXml(h.label)}</td>${value}<td class="num">${escapeXml(ci)}</td>${reference}${differenceCell(h)}${inCiCell(h)}${source}</tr>`;
  });
  return `<table class="headlines">${head}${rows.join("")}</table>`;
}

function labelRank(headlines: readonly ReportHeadline[], label: string): number {
  return headlines.findIndex((h) => h.label === label);
}

/** Text with `code` spans (scenario descriptions name parameters that way). */
function prose(text: string): string {
  return escapeXml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

/** Inline SVG without its trailing newline (the chart functions end files with one). */
function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, "").trimEnd();
}

function entrySection(e: ReportEntry): string {
  const charts = e.charts.map((c) => `<figure class="chart">${inlineSvg(c.svg)}</figure>`).join("");
  const files = e.files
    .map((f) => `<li><a href="${escapeXml(f.href)}">${escapeXml(f.label)}</a></li>`)
    .join("");
  return (
    `<section class="entry" id="${escapeXml(e.anchor)}">` +
    `<h2>${escapeXml(e.title)} <span class="id">${escapeXml(e.scenario)} · ${escapeXml(e.kind)} ${escapeXml(e.id)}</span></h2>` +
    `<p class="description">${prose(e.description)}</p>` +
    definitionList(e.facts) +
    (e.params.length > 0 ? `<h3>Parameters</h3>${definitionList(e.params)}` : "") +
    (e.headlines.length > 0
      ? `<h3>Headline figures</h3>${headlineTable(e.headlines, e.kind === "sweep")}`
      : "") +
    (charts !== "" ? `<h3>Charts</h3><div class="charts">${charts}</div>` : "") +
    (files !== "" ? `<h3>Files</h3><ul class="files">${files}</ul>` : "") +
    `</section>`
  );
}

export function renderReport(input: ReportInput): string {
  const toc = input.entries
    .map(
      (e) =>
        `<li><a href="#${escapeXml(e.anchor)}">${escapeXml(e.title)}</a> — ${escapeXml(e.kind)} ${escapeXml(e.id)}</li>`,
    )
    .join("");
  const body =
    input.entries.length === 0
      ? `<p>No results yet: run <code>npm start</code>.</p>`
      : `<nav><h3>Contents</h3><ol>${toc}</ol></nav>${input.entries.map(entrySection).join("\n")}`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">` +
    `<title>${escapeXml(input.title)}</title><style>${STYLE}</style></head>\n` +
    `<body><header><h1>${escapeXml(input.title)}</h1><p>${escapeXml(input.subtitle)}</p></header>\n<main>${body}</main></body></html>\n`
  );
}
