import type { Command } from "commander";
import { buildApp } from "../server/app.ts";
import { loadServerConfig, type ServeFlags } from "../server/config.ts";
import { DATA_DIR_OPTION_HELP } from "./data-dir-option.ts";

// `apex serve`: the HTTP + WebSocket server on the embedded defaults (PGlite and DuckDB in the data directory, the
// in-process bus), or PostgreSQL / Redis when DATABASE_URL / REDIS_URL are set. Stops cleanly on SIGINT and SIGTERM.

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("start the Apex server: the web API and the WebSocket gateway at /ws")
    .option("-p, --port <number>", "port to listen on (default: $APEX_PORT or 3000; 0 picks a free one)")
    .option("--host <address>", "address to listen on (default: $APEX_HOST or 127.0.0.1)")
    .option("--data-dir <dir>", DATA_DIR_OPTION_HELP)
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = await loadServerConfig(process.env, flags);
  const app = await buildApp(config);
  const address = await app.fastify.listen({ port: config.port, host: config.host });
  const setup = (await app.auth.hasUsers()) ? "" : " (no account yet: POST /api/setup with the first admin's email and password)";
  console.log(`apex: listening on ${address}${setup}`);
  const stop = (signal: string) => {
    // app.close() refuses new runs, lets the ones in flight finish up to the deadline, then cancels the rest.
    console.log(`apex: ${signal} received; finishing the runs in flight (up to ${config.shutdownDeadlineMs} ms), then shutting down`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`apex: shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
