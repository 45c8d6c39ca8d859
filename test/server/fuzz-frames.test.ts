// Thousands of seeded bad frames over one real socket, on PGlite always and on PostgreSQL (+ Redis) when DATABASE_URL
// is set: invalid JSON, JSON of the wrong shape, unknown types, known commands with broken fields (and huge extra
// ones), commands naming nothing, frames past the size limit, binary frames, deep nesting, unicode garbage. Each frame
// gets exactly one typed `error` (with its id when it had a readable one), in order; afterwards the same socket still
// answers `ping` and carries a run to its end. The rate limit past which frames are refused has its own suite
// (rate-limit.test.ts), so this server's limit is raised out of the way.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlFrameSchema, MAX_MESSAGE_CHARS } from "../../src/protocol/commands.ts";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode, EventType, RoutePath, type ErrorCodeName } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { get, startSignedIn, type TestServer } from "./test-server.ts";
import { loadUsage } from "./usage-fixture.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const USER = { email: "fuzzer@example.com", password: "fuzzer-password-1" };
const FRAME_LIMIT = 64 * 1024;
const SEED = 20_261_124;
const PROBES = 3000;
const BATCH = 150;
const MAX_ID_CHARS = 128;
const MAX_DECISION_CHARS = 64;
const COMMAND_TYPES: readonly string[] = Object.values(ClientCommand);

/** A bad frame and the one answer it must get. */
interface Probe {
  kind: string;
  frame: string | Buffer;
  code: ErrorCodeName;
  id: string | undefined;
}

/** The client id the server can echo: a string of 1 to 128 characters (protocol.md: errors carry the frame's id). */
function readableId(id: unknown): string | undefined {
  return typeof id === "string" && id.length >= 1 && id.length <= MAX_ID_CHARS ? id : undefined;
}

/**
 * The answer protocol.md prescribes for a frame that is not a valid command: size first, then binary, then JSON, then
 * the type. Known types reach here only with a broken field (the generators below make sure of it).
 */
function answerTo(kind: string, frame: string | Buffer): Probe {
  const bytes = typeof frame === "string" ? Buffer.byteLength(frame, "utf8") : frame.byteLength;
  if (bytes > FRAME_LIMIT) return { kind, frame, code: ErrorCode.FRAME_TOO_LARGE, id: undefined };
  if (typeof frame !== "string") return { kind, frame, code: ErrorCode.INVALID_COMMAND, id: undefined };
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { kind, frame, code: ErrorCode.INVALID_JSON, id: undefined };
  }
  const fields = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const known = typeof fields.type === "string" && COMMAND_TYPES.includes(fields.type);
  return { kind, frame, code: known ? ErrorCode.INVALID_COMMAND : ErrorCode.UNKNOWN_COMMAND, id: readableId(fields.id) };
}

/** What the socket carries of a string: lone surrogates become U+FFFD on the way, so the oracle sees the same text. */
const onTheWire = (text: string) => Buffer.from(text, "utf8").toString("utf8");
const json = (kind: string, value: unknown) => answerTo(kind, JSON.stringify(value));
const nested = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}${close.repeat(depth)}`;

const garbage = fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), fc.string({ unit: "grapheme", maxLength: 60 }), fc.string({ maxLength: 60 }));
const goodId = fc.oneof(fc.uuid(), fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), fc.constant("i".repeat(MAX_ID_CHARS)));
const badId = fc.constantFrom<unknown>("", "i".repeat(MAX_ID_CHARS + 1), 42, null, true, {}, [], ["a"]);
const anyId = fc.oneof(goodId, badId, fc.constant(undefined));
/** Values no id field accepts (a NUL can never name a stored row). */
const badRef = fc.constantFrom<unknown>(undefined, 42, "", "r".repeat(MAX_ID_CHARS + 1), null, [], {}, true, "run\u0000id", "\u0000");
const junk = fc.option(
  fc.oneof(
    fc.integer({ min: 1, max: 30_000 }).map((n) => "j".repeat(n)),
    fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 20 }),
  ),
  { nil: undefined },
);

const invalidJson = fc
  .oneof(
    garbage,
    fc.constantFrom("{not json", "undefined", "NaN", "{'type':'x'}", "[1,2,", '{"type":', "\uFEFF{}", "", " ", "tru", '{"a":1,}', "01", "\u0000"),
    fc.tuple(fc.constantFrom(...COMMAND_TYPES), anyId, fc.nat()).map(([type, id, cut]) => {
      const whole = JSON.stringify({ type, id, run_id: "r1", text: "hello" });
      return whole.slice(0, cut % whole.length);
    }),
  )
  .map((text) => answerTo("invalid json", onTheWire(text)));

const wrongShape = fc
  .oneof(
    fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 10 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constant(null),
    fc.boolean(),
    garbage,
    fc.dictionary(garbage.filter((k) => k !== "type"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
    fc.record({ id: anyId, run_id: goodId, text: garbage }),
  )
  .map((value) => json("wrong shape", value));

const unknownType = fc
  .record({
    type: fc.oneof(
      garbage.filter((t) => !COMMAND_TYPES.includes(t)),
      fc
        .constantFrom(...COMMAND_TYPES)
        .chain((t) => fc.constantFrom(t.toUpperCase(), ` ${t}`, `${t}\u0000`, `${t}s`, t.replace("_", "-")))
        .filter((t) => !COMMAND_TYPES.includes(t)),
      fc.constantFrom<unknown>(0, 1, null, true, [], {}, [ClientCommand.PING], { type: ClientCommand.PING }),
      fc.integer({ min: 1_000, max: 60_000 }).map((n) => "t".repeat(n)),
    ),
    id: anyId,
    run_id: fc.option(goodId, { nil: undefined }),
    extra: junk,
  })
  .map((value) => json("unknown type", value));

/** One broken field per command; everything else about the command is right. */
const brokenBody = fc.oneof(
  fc.record({ type: fc.constant(ClientCommand.USER_MESSAGE), text: fc.constantFrom<unknown>(undefined, 42, null, [], {}, true, "", "   ", "\u00a0\u2003\n\t", "x".repeat(MAX_MESSAGE_CHARS + 1), "nul\u0000inside") }),
  fc.record({ type: fc.constant(ClientCommand.USER_MESSAGE), text: garbage.filter((t) => t.trim() !== ""), thread_id: badRef.filter((r) => r !== undefined) }),
  fc.record({ type: fc.constantFrom(ClientCommand.SUBSCRIBE, ClientCommand.UNSUBSCRIBE, ClientCommand.CANCEL_RUN), run_id: badRef }),
  fc.record({ type: fc.constant(ClientCommand.SUBSCRIBE), run_id: goodId, after_seq: fc.constantFrom<unknown>(-1, 1.5, -0.5, "3", null, true, [], {}) }),
  fc.record({ type: fc.constant(ClientCommand.RESPOND), interrupt_id: badRef, decision: fc.constant("approve") }),
  fc.record({ type: fc.constant(ClientCommand.RESPOND), interrupt_id: goodId, decision: fc.constantFrom<unknown>(undefined, "", "d".repeat(MAX_DECISION_CHARS + 1), 7, null) }),
  fc.record({ type: fc.constant(ClientCommand.RESPOND), interrupt_id: goodId, decision: fc.constant("approve"), payload: fc.constantFrom<unknown>(7, "x", true, null) }),
);
/** A command that would be fine but for its id. */
const validBody = fc.oneof(
  fc.constant({ type: ClientCommand.PING }),
  fc.constant({ type: ClientCommand.USER_MESSAGE, text: "Where can I cut my LLM costs?" }),
  goodId.map((run_id) => ({ type: ClientCommand.SUBSCRIBE, run_id, after_seq: 0 })),
  goodId.map((run_id) => ({ type: ClientCommand.UNSUBSCRIBE, run_id })),
);
const knownBroken = fc
  .oneof(
    fc.tuple(brokenBody, anyId, junk).map(([body, id, extra]) => ({ ...body, id, extra })),
    fc.tuple(validBody, badId, junk).map(([body, id, extra]) => ({ ...body, id, extra })),
  )
  .map((value) => json("known command, broken field", value));

/** Well-formed commands about a run, thread or question that does not exist: `not_found`, with the command's id. */
const namesNothing = fc
  .tuple(
    fc.oneof(fc.uuid(), fc.string({ unit: "binary", minLength: 1, maxLength: 60 }).filter((s) => !s.includes("\u0000"))),
    fc.option(goodId, { nil: undefined }),
    fc.constantFrom(ClientCommand.SUBSCRIBE, ClientCommand.CANCEL_RUN, ClientCommand.RESPOND, ClientCommand.USER_MESSAGE),
    fc.nat(),
  )
  .map(([ref, id, type, afterSeq]): Probe => {
    const body = {
      [ClientCommand.SUBSCRIBE]: { run_id: ref, after_seq: afterSeq },
      [ClientCommand.CANCEL_RUN]: { run_id: ref },
      [ClientCommand.RESPOND]: { interrupt_id: ref, decision: "approve" },
      [ClientCommand.USER_MESSAGE]: { thread_id: ref, text: "Where can I cut my LLM costs?" },
    }[type];
    return { kind: "names nothing", frame: JSON.stringify({ type, id, ...body }), code: ErrorCode.NOT_FOUND, id };
  });

const oversize = fc
  .tuple(fc.integer({ min: FRAME_LIMIT + 1, max: 3 * FRAME_LIMIT }), fc.constantFrom("padded", "garbage", "bytes"))
  .map(([bytes, shape]) => {
    if (shape === "bytes") return answerTo("oversize", Buffer.alloc(bytes, 0x7b));
    if (shape === "garbage") return answerTo("oversize", "g".repeat(bytes));
    const head = JSON.stringify({ type: ClientCommand.PING, id: "big", pad: "" });
    return answerTo("oversize", `${head.slice(0, -2)}${"p".repeat(bytes - head.length)}"}`);
  });

const binary = fc
  .oneof(
    fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
    anyId.map((id) => Buffer.from(JSON.stringify({ type: ClientCommand.PING, id }))),
  )
  .map((frame) => answerTo("binary", frame));

const deep = fc
  .tuple(fc.integer({ min: 500, max: 20_000 }), fc.constantFrom("top", "type", "id", "field", "object"), fc.option(goodId, { nil: undefined }))
  .map(([depth, where, id]) => {
    const idPart = id === undefined ? "" : `,"id":${JSON.stringify(id)}`;
    const frame = {
      top: nested(depth),
      type: `{"type":${nested(depth)}${idPart}}`,
      id: `{"type":"launch","id":${nested(depth)}}`,
      field: `{"type":${JSON.stringify(ClientCommand.SUBSCRIBE)},"run_id":${nested(depth)}${idPart}}`,
      object: `{"type":${JSON.stringify(ClientCommand.CANCEL_RUN)}${idPart},"run_id":${nested(depth, '{"a":', "}").replace(/\{"a":\}/, '{"a":1}')}}`,
    }[where];
    return answerTo(`deep (${where})`, frame);
  });

const probes: fc.Arbitrary<Probe> = fc.oneof(
  { arbitrary: invalidJson, weight: 15 },
  { arbitrary: wrongShape, weight: 15 },
  { arbitrary: unknownType, weight: 15 },
  { arbitrary: knownBroken, weight: 25 },
  { arbitrary: namesNothing, weight: 8 },
  { arbitrary: oversize, weight: 4 },
  { arbitrary: binary, weight: 10 },
  { arbitrary: deep, weight: 5 },
);

async function welcomed(client: TestClient): Promise<TestClient> {
  await client.next((f) => f.type === ControlFrame.WELCOME);
  return client;
}

/** Sends the probes back to back, then a ping; returns what came back before the pong. */
async function barrage(client: TestClient, batch: readonly Probe[], sentinel: string): Promise<Frame[]> {
  const from = client.frames.length;
  for (const probe of batch) client.send(probe.frame);
  client.send({ type: ClientCommand.PING, id: sentinel });
  const pong = await client.next((f) => f.type === ControlFrame.PONG && f.id === sentinel, from);
  return client.frames.slice(from, client.frames.indexOf(pong));
}

describe.each(storeTargets())("bad frames on $name", (target) => {
  let server: TestServer;
  let token = "";
  const open: TestClient[] = [];
  const connect = async () => {
    const client = TestClient.open(server.url, token);
    open.push(client);
    return welcomed(client);
  };

  beforeAll(async () => {
    let userId = "";
    ({ server, token, userId } = await startSignedIn(target, USER, {
      [EnvVar.RATE_LIMIT_PER_MINUTE]: String(1_000_000),
      [EnvVar.FRAME_LIMIT_BYTES]: String(FRAME_LIMIT),
    }));
    expect(await loadUsage(server, userId, 300)).toBe(300);
  });

  afterAll(async () => {
    for (const client of open) client.socket.terminate();
    await server.stop();
  });

  it(`answers ${PROBES} seeded bad frames with exactly one typed error each, then still serves a run`, { timeout: 120_000 }, async () => {
    const all = fc.sample(probes, { seed: SEED, numRuns: PROBES });
    const kinds = new Set(all.map((p) => p.kind.replace(/ \(.*/, "")));
    expect(kinds.size).toBe(8); // every family of bad frame is in the sample
    const client = await connect();
    for (let at = 0; at < all.length; at += BATCH) {
      const batch = all.slice(at, at + BATCH);
      const answers = await barrage(client, batch, `after-${at}`);
      for (const answer of answers) expect(ControlFrameSchema.safeParse(answer).success, JSON.stringify(answer).slice(0, 300)).toBe(true);
      const got = answers.map((a, i) => ({ at: at + i, kind: batch[i]?.kind, type: a.type, code: a.code, id: a.id }));
      expect(got).toEqual(batch.map((p, i) => ({ at: at + i, kind: p.kind, type: ControlFrame.ERROR, code: p.code, id: p.id })));
      expect(client.socket.readyState).toBe(client.socket.OPEN);
    }

    // nothing of the barrage was stored: the messages into missing threads and the broken ones started nothing
    expect((await get(server.url + RoutePath.THREADS, token)).body.threads).toEqual([]);
    const from = client.frames.length;
    client.send({ type: ClientCommand.PING, id: "alive" });
    expect(await client.next((f) => f.id === "alive", from)).toEqual({ type: ControlFrame.PONG, id: "alive" });
    client.send({ type: ClientCommand.USER_MESSAGE, id: "real", text: "Where can I cut my LLM costs?" });
    const ack = await client.next((f) => f.id === "real", from);
    expect(ack.type).toBe(ControlFrame.ACK);
    const events = await client.runToEnd(String(ack.run_id));
    expect(checkRunInvariants(events)).toEqual([]);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
  });

  it("takes a frame of exactly the size limit and refuses one byte more", async () => {
    const client = await connect();
    const head = JSON.stringify({ type: ClientCommand.PING, id: "edge", pad: "" });
    const fits = `${head.slice(0, -2)}${"p".repeat(FRAME_LIMIT - head.length)}"}`;
    expect(Buffer.byteLength(fits)).toBe(FRAME_LIMIT);
    const answers = await barrage(client, [answerTo("fits", fits), answerTo("one byte over", `${fits} `)], "edge-done");
    expect(answers.map((a) => [a.type, a.code ?? null, a.id ?? null])).toEqual([
      [ControlFrame.PONG, null, "edge"],
      [ControlFrame.ERROR, ErrorCode.FRAME_TOO_LARGE, null],
    ]);
  });

  // Regressions found by the barrage: a deeply nested `type` once crashed the error message (JSON.stringify ran out of
  // stack, answered `internal` without the id), a huge unknown type was echoed whole, and a NUL in an id or in a
  // message's text reached the database, which refused it (`internal`).
  it("answers the frames that once broke the server with their own error codes", async () => {
    const client = await connect();
    const threadsBefore = (await get(server.url + RoutePath.THREADS, token)).body.threads;
    const cases: [string, ErrorCodeName, string][] = [
      [`{"type":${nested(20_000)},"id":"deep"}`, ErrorCode.UNKNOWN_COMMAND, "deep"],
      [JSON.stringify({ type: "t".repeat(60_000), id: "long" }), ErrorCode.UNKNOWN_COMMAND, "long"],
      [JSON.stringify({ type: ClientCommand.SUBSCRIBE, id: "nul-run", run_id: "run\u0000id" }), ErrorCode.INVALID_COMMAND, "nul-run"],
      [JSON.stringify({ type: ClientCommand.CANCEL_RUN, id: "nul-cancel", run_id: "\u0000" }), ErrorCode.INVALID_COMMAND, "nul-cancel"],
      [JSON.stringify({ type: ClientCommand.USER_MESSAGE, id: "nul-thread", thread_id: "\u0000", text: "hi" }), ErrorCode.INVALID_COMMAND, "nul-thread"],
      [JSON.stringify({ type: ClientCommand.USER_MESSAGE, id: "nul-text", text: "a\u0000b" }), ErrorCode.INVALID_COMMAND, "nul-text"],
    ];
    const answers = await barrage(client, cases.map(([frame]) => answerTo("regression", frame)), "regressions-done");
    expect(answers.map((a) => [a.type, a.code, a.id])).toEqual(cases.map(([, code, id]) => [ControlFrame.ERROR, code, id]));
    for (const answer of answers) expect(String(answer.message).length).toBeLessThan(1000);
    expect((await get(server.url + RoutePath.THREADS, token)).body.threads).toEqual(threadsBefore);
  });
});
