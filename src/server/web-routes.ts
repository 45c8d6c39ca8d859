import { existsSync } from "node:fs";
import { join, sep } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, RoutePath } from "../protocol/names.ts";
import { sendError } from "./api-routes.ts";

// The web UI: the Vite build (`npm run build:web`, in dist/web/) served at `/`. Any other page path answers
// index.html so the browser app can route it itself. Hashed assets are cached for good; index.html never is, so a new
// build is picked up on the next load. Without a build, `/` says how to make one instead of a bare 404.

export interface WebRoutesOptions {
  /** The built web UI: `index.html` and `assets/`. */
  webDir: string;
}

const INDEX = "index.html";
const ASSETS = "assets";
/** Vite names every file under assets/ by its content hash: a changed file is a new URL. */
const ASSET_CACHE = "public, max-age=31536000, immutable";
const NO_CACHE = "no-cache";
/** Paths that belong to the server, never to the browser app: an unknown one is a 404, not the app. */
const SERVER_PATHS: readonly string[] = ["/api", RoutePath.WS, RoutePath.AGUI, RoutePath.HEALTH, RoutePath.READY, RoutePath.METRICS];

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Apex: web UI not built</title></head>
<body>
<h1>The Apex web UI is not built</h1>
<p>The server is running, but there is no web UI to serve yet. Build it with <code>npm run build:web</code>
(or start the server with <code>npm start</code>, which builds it first), then reload this page.</p>
<p>The API answers under <code>/api</code> and the WebSocket at <code>/ws</code> meanwhile.</p>
</body>
</html>
`;

/** A GET of a page of the browser app: not a server path, and not a file (no extension in its last segment). */
function isAppPage(request: FastifyRequest): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  const path = request.url.split("?", 1)[0] ?? "";
  if (SERVER_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return false;
  return !(path.split("/").pop() ?? "").includes(".");
}

export async function webRoutes(fastify: FastifyInstance, options: WebRoutesOptions): Promise<void> {
  if (!existsSync(join(options.webDir, INDEX))) {
    fastify.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").header("cache-control", NO_CACHE).send(NOT_BUILT_PAGE));
    return;
  }
  const assets = join(options.webDir, ASSETS) + sep;
  await fastify.register(fastifyStatic, {
    root: options.webDir,
    dotfiles: "ignore",
    // Our own Cache-Control, set per file below.
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header("cache-control", path.startsWith(assets) ? ASSET_CACHE : NO_CACHE);
    },
  });
  fastify.setNotFoundHandler(async (request, reply) => {
    if (isAppPage(request)) return reply.sendFile(INDEX);
    return sendError(reply, 404, new ApexError(ErrorCode.NOT_FOUND, `There is nothing at ${request.method} ${request.url}; check the path.`));
  });
}
