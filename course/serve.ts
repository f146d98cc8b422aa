/**
 * `stepwise course serve`: the built site over HTTP on localhost, for those who prefer a server to file://.
 * Static files only; paths outside the site are refused.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".gif": "image/gif",
  ".woff2": "font/woff2",
  ".ipynb": "application/x-ipynb+json",
  ".json": "application/json",
};

export function serveSite(siteDir: string, port: number, host = "127.0.0.1"): Promise<http.Server> {
  const root = path.resolve(siteDir);
  if (!fs.existsSync(path.join(root, "index.html"))) {
    return Promise.reject(new Error(`course serve: no site in ${root}; build it first with \`stepwise course build --out ${siteDir}\``));
  }
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (file !== root && !file.startsWith(root + path.sep)) return void response.writeHead(403).end("forbidden");
    if (url.pathname.endsWith("/")) file = path.join(file, "index.html");
    fs.readFile(file, (error, data) => {
      if (error) return void response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      response.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
