/**
 * The site's shared files under `assets/`: its own script and stylesheet, and the libraries the pages load
 * from disk (nothing from a CDN): vega, vega-lite and vega-embed, plotly.js, minisearch, KaTeX's stylesheet
 * and fonts (woff2, which every browser that runs the site reads), highlight.js's theme.
 */
import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";

/** Site path under assets/ → file in node_modules (resolved through each package). */
const VENDORED: Record<string, string> = {
  "vega.min.js": "vega/build/vega.min.js",
  "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
  "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
  "plotly.min.js": "plotly.js-dist-min/plotly.min.js",
  "minisearch.js": "minisearch/dist/umd/index.js",
  "highlight.css": "highlight.js/styles/github.min.css",
  "katex/katex.min.css": "katex/dist/katex.min.css",
};

/** A file of an installed package: `node_modules/<spec>` in the nearest folder above this one that has it. */
function resolveVendored(spec: string): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", spec);
    if (fsSync.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`course: ${spec} is missing; run npm install`);
  }
}

/** The chart libraries' files, copied only when some page draws that kind of chart. */
export const LIBRARY_FILES: Record<"vega" | "plotly", readonly string[]> = {
  vega: ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"],
  plotly: ["plotly.min.js"],
};

export async function writeAssets(siteDir: string, needs: ReadonlySet<"vega" | "plotly">): Promise<void> {
  const unused = new Set((["vega", "plotly"] as const).filter((need) => !needs.has(need)).flatMap((need) => LIBRARY_FILES[need]));
  const assets = path.join(siteDir, "assets");
  await fs.mkdir(path.join(assets, "katex", "fonts"), { recursive: true });
  const own = path.join(__dirname, "..", "..", "course", "assets");
  for (const name of await fs.readdir(own)) await fs.copyFile(path.join(own, name), path.join(assets, name));
  for (const [target, source] of Object.entries(VENDORED)) if (!unused.has(target)) await fs.copyFile(resolveVendored(source), path.join(assets, target));
  const fonts = path.join(path.dirname(resolveVendored("katex/dist/katex.min.css")), "fonts");
  for (const font of (await fs.readdir(fonts)).filter((name) => name.endsWith(".woff2"))) {
    await fs.copyFile(path.join(fonts, font), path.join(assets, "katex", "fonts", font));
  }
}
