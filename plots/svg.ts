/**
 * SVG text without a DOM: escaping, and numbers printed the same way every time. Every coordinate
 * goes through `px`, which rounds to 1/100 px and refuses NaN and infinities, so a chart either
 * prints finite numbers or fails loudly, and the same rows always give the same bytes.
 */

/** Escapes text for element content and double-quoted attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** A coordinate or length in px, rounded to 0.01 px; -0 prints as 0. */
export function px(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`svg: non-finite coordinate ${value}`);
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/** `name="value"` pairs; undefined values are left out, numbers go through `px`. */
export function attrs(pairs: Record<string, string | number | undefined>): string {
  let out = "";
  for (const [name, value] of Object.entries(pairs)) {
    if (value === undefined) continue;
    out += ` ${name}="${typeof value === "number" ? px(value) : escapeXml(value)}"`;
  }
  return out;
}

export function element(
  name: string,
  pairs: Record<string, string | number | undefined>,
  content?: string,
): string {
  return content === undefined
    ? `<${name}${attrs(pairs)}/>`
    : `<${name}${attrs(pairs)}>${content}</${name}>`;
}

export function text(pairs: Record<string, string | number | undefined>, content: string): string {
  return element("text", pairs, escapeXml(content));
}

export function group(className: string, content: string, transform?: string): string {
  return `<g${attrs({ class: className, transform })}>${content}</g>`;
}

export function translate(x: number, y: number): string {
  return `translate(${px(x)},${px(y)})`;
}

/**
 * Rough text width for layout (no font metrics without a DOM): DejaVu Sans averages ~0.6 em per
 * character for digits and lower case; an overestimate only wastes a few pixels.
 */
export function textWidthPx(content: string, fontSizePx: number): number {
  return content.length * fontSizePx * 0.6;
}

export const FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

/** The outer document: a white background so charts print and paste onto any page. */
export function svgDocument(
  widthPx: number,
  heightPx: number,
  title: string,
  body: string,
): string {
  const open =
    `<svg xmlns="http://www.w3.org/2000/svg"` +
    attrs({
      class: "raysim-chart",
      width: widthPx,
      height: heightPx,
      viewBox: `0 0 ${px(widthPx)} ${px(heightPx)}`,
    }) +
    attrs({ "font-family": FONT_FAMILY, "font-size": 11, role: "img" }) +
    ">";
  return (
    open +
    `<title>${escapeXml(title)}</title>` +
    element("rect", { class: "background", width: widthPx, height: heightPx, fill: "#ffffff" }) +
    body +
    "</svg>\n"
  );
}
