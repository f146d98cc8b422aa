/**
 * Markdown as the site renders it: markdown-it (CommonMark, tables, raw HTML as Jupyter allows), math by
 * KaTeX at build time (`$…$`, `$$…$$`; the page needs only KaTeX's stylesheet), code highlighted by
 * highlight.js, and links to other lessons' `.ipynb` files turned into links to their pages.
 */
import MarkdownIt = require("markdown-it");
import katexPlugin from "@vscode/markdown-it-katex";
import hljs from "highlight.js/lib/common";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Highlighted HTML for code in `language` (plain, escaped, when highlight.js does not know it). */
export function highlight(code: string, language: string): string {
  const lang = language === "ts" ? "typescript" : language;
  if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  return escapeHtml(code);
}

export function createMarkdown(): MarkdownIt.MarkdownIt {
  const md = new MarkdownIt({
    html: true,
    linkify: false,
    highlight: (code, language) => `<pre class="hljs"><code>${highlight(code, language)}</code></pre>`,
  });
  md.use(katexPlugin, { throwOnError: false });
  const linkOpen = md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
  md.renderer.rules.link_open = (tokens, i, options, env, self) => {
    const href = tokens[i].attrGet("href")?.toString();
    if (href && !/^[a-z]+:/i.test(href) && /\.ipynb(#|$)/.test(href)) tokens[i].attrSet("href", href.replace(/^.*?([^/]+)\.ipynb/, "$1.html"));
    return linkOpen(tokens, i, options, env, self);
  };
  return md;
}

/** Plain text of Markdown (its words, code and TeX), for the search index. */
export function plainText(md: MarkdownIt.MarkdownIt, markdown: string): string {
  const words: string[] = [];
  for (const token of md.parse(markdown, {})) {
    if (token.children) words.push(...token.children.map((child) => child.content).filter(Boolean));
    else if (token.content && token.type !== "html_block") words.push(token.content);
  }
  return words.join(" ").replace(/\s+/g, " ").trim();
}
