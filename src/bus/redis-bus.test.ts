import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import type { Bus } from "./bus.ts";
import { openBus } from "./open-bus.ts";
import { RedisBus } from "./redis-bus.ts";
import { sampleEvent } from "./sample-events.ts";

const url = process.env[EnvVar.REDIS_URL];

function waitFor(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error("timed out waiting for the bus"));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe.skipIf(url === undefined || url === "")("RedisBus", () => {
  const prefix = `apex-test-${randomBytes(4).toString("hex")}:`;
  const errors: unknown[] = [];
  const buses: Bus[] = [];
  const node = async () => {
    const bus = await openBus({ redisUrl: url, channelPrefix: prefix, onError: (error) => errors.push(error) });
    buses.push(bus);
    return bus;
  };
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
  });

  it("carries a notice to every node, the sender included, and drops a malformed one", async () => {
    const [a, b] = [await node(), await node()];
    const heard: string[] = [];
    const stopA = await a.onNotice((notice) => heard.push(`a:${notice.user_id}`));
    await b.onNotice((notice) => heard.push(`b:${notice.user_id}`));
    await b.notify({ kind: "account_changed", user_id: "user-1" });
    await waitFor(() => heard.length === 2);
    expect(heard.sort()).toEqual(["a:user-1", "b:user-1"]);
    const raw = new Redis(url!);
    const before = errors.length;
    await raw.publish(`${prefix}notice`, JSON.stringify({ kind: "something_else" }));
    await waitFor(() => errors.length >= before + 2);
    expect(errors.splice(before).every((e) => (e as { code?: string }).code === ErrorCode.INVALID_EVENT)).toBe(true);
    raw.disconnect();
    stopA();
    await a.notify({ kind: "account_changed", user_id: "user-2" });
    await waitFor(() => heard.includes("b:user-2"));
    expect(heard).not.toContain("a:user-2");
  });

  it("carries events between two nodes, per run and in order", async () => {
    const a = await node();
    const b = await node();
    expect(a).toBeInstanceOf(RedisBus);
    const onA: string[] = [];
    const onB: string[] = [];
    await a.subscribe("run-1", (e) => onA.push(`${e.run_id}#${e.seq}`));
    await b.subscribe("run-2", (e) => onB.push(`${e.run_id}#${e.seq}`));
    await b.publish([sampleEvent("run-1", 1), sampleEvent("run-2", 1), sampleEvent("run-1", 2)]);
    await a.publish([sampleEvent("run-2", 2), sampleEvent("run-1", 3)]);
    await waitFor(() => onA.length === 3 && onB.length === 2);
    expect(onA).toEqual(["run-1#1", "run-1#2", "run-1#3"]);
    expect(onB).toEqual(["run-2#1", "run-2#2"]);
    const [event] = await new Promise<unknown[]>((resolve) => {
      void a.subscribe("run-3", (e) => resolve([e])).then(() => b.publish([sampleEvent("run-3", 7)]));
    });
    expect(event).toEqual(sampleEvent("run-3", 7));
    expect(errors).toEqual([]);
  });

  it("shares one Redis subscription between the listeners of a run and drops it with the last one", async () => {
    const a = await node();
    const b = await node();
    const first: number[] = [];
    const second: number[] = [];
    const stopFirst = await a.subscribe("run-shared", (e) => first.push(e.seq));
    const stopSecond = await a.subscribe("run-shared", (e) => second.push(e.seq));
    const probe = new Redis(url!);
    probe.on("error", () => undefined);
    const subscribers = async () => {
      const reply = (await probe.call("PUBSUB", "NUMSUB", `${prefix}run:run-shared`)) as [string, number];
      return Number(reply[1]);
    };
    expect(await subscribers()).toBe(1);
    await b.publish([sampleEvent("run-shared", 1)]);
    await waitFor(() => first.length === 1 && second.length === 1);
    stopFirst();
    await b.publish([sampleEvent("run-shared", 2)]);
    await waitFor(() => second.length === 2);
    expect(first).toEqual([1]);
    stopSecond();
    await waitFor(() => false, 100).catch(() => undefined);
    expect(await subscribers()).toBe(0);
    await probe.quit();
  });

  it("drops and reports a message that is not a list of run events", async () => {
    const a = await node();
    const got: unknown[] = [];
    await a.subscribe("run-bad", (e) => got.push(e));
    const raw = new Redis(url!);
    raw.on("error", () => undefined);
    await raw.publish(`${prefix}run:run-bad`, "not json");
    await raw.publish(`${prefix}run:run-bad`, JSON.stringify([{ type: "made_up" }]));
    await waitFor(() => errors.length >= 2);
    expect(errors.slice(-2)).toEqual([
      expect.objectContaining({ code: ErrorCode.INVALID_EVENT }),
      expect.objectContaining({ code: ErrorCode.INVALID_EVENT }),
    ]);
    expect(got).toEqual([]);
    errors.length = 0;
    await raw.quit();
  });

  it("reconnects after its subscriber connection drops, resubscribes, and says so", async () => {
    const ownPrefix = `apex-test-${randomBytes(4).toString("hex")}:`;
    let reconnects = 0;
    const a = await openBus({ redisUrl: url, channelPrefix: ownPrefix, onReconnect: () => (reconnects += 1), onError: () => undefined });
    const b = await openBus({ redisUrl: url, channelPrefix: ownPrefix });
    buses.push(a, b);
    const got: number[] = [];
    await a.subscribe("run-r", (e) => got.push(e.seq));
    await b.publish([sampleEvent("run-r", 1)]);
    await waitFor(() => got.length === 1);

    const probe = new Redis(url!);
    probe.on("error", () => undefined);
    const clients = String(await probe.call("CLIENT", "LIST", "TYPE", "pubsub"));
    const line = clients.split("\n").find((l) => l.includes(`name=${ownPrefix}run:subscriber`));
    const id = /\bid=(\d+)/.exec(line ?? "")?.[1];
    expect(id).toBeDefined();
    await probe.call("CLIENT", "KILL", "ID", id!);
    await waitFor(() => reconnects === 1);
    const numsub = async () => Number(((await probe.call("PUBSUB", "NUMSUB", `${ownPrefix}run:run-r`)) as [string, number])[1]);
    const start = Date.now();
    while ((await numsub()) !== 1 && Date.now() - start < 3_000) await new Promise((resolve) => setTimeout(resolve, 10));
    await b.publish([sampleEvent("run-r", 2)]);
    await waitFor(() => got.length === 2);
    expect(got).toEqual([1, 2]);
    await probe.quit();
  });

  it("answers bus_unavailable when Redis does not answer", async () => {
    await expect(openBus({ redisUrl: "redis://127.0.0.1:1" })).rejects.toMatchObject({ code: ErrorCode.BUS_UNAVAILABLE });
  });
});
