/**
 * Optional PNG output through resvg (@resvg/resvg-js: a prebuilt binary from the npm registry, no
 * other download; ts-setup.md §4). It is an optional dependency, loaded only when PNGs are asked
 * for, so charts never depend on it. Text needs a system font (DejaVu Sans on Debian).
 */

export class PngUnavailableError extends Error {
  override name = "PngUnavailableError";
}

export async function svgToPng(svg: string, widthPx = 1280): Promise<Uint8Array> {
  let resvg: typeof import("@resvg/resvg-js");
  try {
    resvg = await import("@resvg/resvg-js");
  } catch {
    throw new PngUnavailableError(
      "PNG output needs the optional dependency @resvg/resvg-js: npm install @resvg/resvg-js@^2.6.2",
    );
  }
  const rendered = new resvg.Resvg(svg, {
    fitTo: { mode: "width", value: widthPx },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return rendered.render().asPng();
}
