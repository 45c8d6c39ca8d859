import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { runIngestJob } from "./ingest-job.ts";

/** Resolves with the reason the job's signal aborts with. */
function abortReason(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason), { once: true }));
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
});

/** A server whose one route runs `handle` with the response, and the URL to reach it. */
async function serve(handle: (response: ServerResponse) => Promise<void>): Promise<string> {
  server = createServer((_request, response) => void handle(response));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe("runIngestJob", () => {
  it("aborts the work at its deadline with ingest_timeout naming the setting", async () => {
    let reason: Promise<unknown> = Promise.resolve();
    const url = await serve(async (response) => {
      await runIngestJob(response, 100, async (signal) => {
        reason = abortReason(signal);
        await reason;
      }).catch(() => undefined);
      response.end("done");
    });
    expect(await (await fetch(url)).text()).toBe("done");
    expect(await reason).toMatchObject({ code: ErrorCode.INGEST_TIMEOUT, message: expect.stringContaining(EnvVar.INGEST_TIMEOUT_MS) });
  });

  it("aborts the work with cancelled when the client goes away before the answer", async () => {
    let reason: Promise<unknown> | undefined;
    let begin = () => undefined as void;
    const started = new Promise<void>((resolve) => (begin = resolve));
    const url = await serve(async (response) => {
      await runIngestJob(response, 60_000, async (signal) => {
        reason = abortReason(signal);
        begin();
        await reason;
      });
    });
    const client = new AbortController();
    const request = fetch(url, { signal: client.signal }).catch(() => undefined);
    await started;
    client.abort();
    await request;
    expect(await reason).toMatchObject({ code: ErrorCode.CANCELLED });
  });

  it("aborts its signal once the work has ended, so nothing it started outlives it", async () => {
    let seen: AbortSignal | undefined;
    const url = await serve(async (response) => {
      const value = await runIngestJob(response, 60_000, async (signal) => {
        seen = signal;
        return "value";
      });
      response.end(value);
    });
    expect(await (await fetch(url)).text()).toBe("value");
    expect(seen?.aborted).toBe(true);
    expect(isApexError(seen?.reason)).toBe(false);
  });
});
