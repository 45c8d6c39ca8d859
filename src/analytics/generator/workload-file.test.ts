import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApexError } from "../../protocol/errors.ts";
import { ErrorCode } from "../../protocol/names.ts";
import { writeWorkloadFile } from "./workload-file.ts";
import { generateWorkload } from "./workload.ts";

// The generator in a worker thread writes the very records it makes in-process, waits on each progress step, and
// stops when its signal aborts.

const SPEC = { scenario: "saas", records: 2_500, days: 7, seed: 42, start: "2026-01-05T00:00:00.000Z" } as const;

describe("writeWorkloadFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "apex-workload-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the generator's records as JSON Lines, reporting progress on the way", async () => {
    const path = join(dir, "a.jsonl");
    const steps: number[] = [];
    expect(await writeWorkloadFile(path, SPEC, { progressEvery: 1_000, onProgress: (n) => void steps.push(n) })).toBe(2_500);
    const expected = [...generateWorkload({ ...SPEC, price: () => null }).records()].map((r) => JSON.stringify(r));
    expect((await readFile(path, "utf8")).split("\n").slice(0, -1)).toEqual(expected);
    expect(steps).toEqual([1_000, 2_000]);
  });

  it("stops when a progress step throws, and when the signal aborts", async () => {
    const refused = new ApexError(ErrorCode.UNAUTHORIZED, "account disabled");
    await expect(writeWorkloadFile(join(dir, "b.jsonl"), SPEC, { progressEvery: 500, onProgress: () => Promise.reject(refused) })).rejects.toBe(refused);
    const controller = new AbortController();
    const writing = writeWorkloadFile(join(dir, "c.jsonl"), { ...SPEC, records: 5_000_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(writing).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
  });

  it("refuses invalid options with the generator's own error", async () => {
    await expect(writeWorkloadFile(join(dir, "d.jsonl"), { ...SPEC, records: 0 })).rejects.toMatchObject({ code: ErrorCode.INVALID_PARAMETERS });
  });
});
