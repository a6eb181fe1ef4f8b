/**
 * A small XML well-formedness check for the charts (no parser dependency): tags nest and close,
 * attributes are quoted, text escapes `<` and `&`, one root element; and no NaN, Infinity or
 * undefined anywhere. Returns the problems found, empty when the SVG is sound.
 */
const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/?[^>]*>|[^<]+/g;
const ATTRS = /^(\s+[A-Za-z_:][\w:.-]*="[^"<]*")*\s*$/;
const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

export function svgProblems(svg: string): string[] {
  const problems: string[] = [];
  for (const bad of ["NaN", "Infinity", "undefined", "null"])
    if (svg.includes(bad)) problems.push(`contains ${bad}`);
  const stack: string[] = [];
  let roots = 0;
  for (const token of svg.match(TOKEN) ?? []) {
    if (token.startsWith("<!--") || token.startsWith("<?") || token.startsWith("<!DOCTYPE"))
      continue;
    if (token.startsWith("</")) {
      const name = token.slice(2, -1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? "nothing"}>`);
      continue;
    }
    if (token.startsWith("<")) {
      const m = /^<([A-Za-z_][\w:.-]*)([\s\S]*?)(\/?)>$/.exec(token);
      if (m === null) {
        problems.push(`malformed tag ${token.slice(0, 60)}`);
        continue;
      }
      if (!ATTRS.test(m[2]!)) problems.push(`malformed attributes in ${token.slice(0, 80)}`);
      if (stack.length === 0) roots++;
      if (m[3] !== "/") stack.push(m[1]!);
      continue;
    }
    if (stack.length === 0 && token.trim() !== "")
      problems.push(`text outside the root: ${token.slice(0, 40)}`);
    if (token.replace(ENTITY, "").includes("&"))
      problems.push(`unescaped & in ${token.slice(0, 40)}`);
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(" > ")}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}
