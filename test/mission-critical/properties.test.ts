import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventType, PIPELINE } from "../../src/protocol/names.ts";
import { checkRunInvariants } from "./invariants.ts";
import { scriptedAgent, type AgentScript, type ToolStep } from "./scripted-agents.ts";
import { suiteFactory } from "./suite-pipeline.ts";

// Random pipelines of agents whose tools succeed, throw, hang or ignore their abort signal, whose agents throw or
// are optional, run in series or in parallel, with a cancel at a random moment: the stream must always be well-formed.

const step: fc.Arbitrary<ToolStep> = fc.record({
  mode: fc.constantFrom("ok", "ok", "ok", "throw", "hang", "deaf"),
  catchError: fc.boolean(),
  delayMs: fc.integer({ min: 0, max: 4 }),
});

const scripts: fc.Arbitrary<AgentScript[]> = fc
  .array(
    fc.record({
      steps: fc.array(step, { maxLength: 3 }),
      parallel: fc.boolean(),
      failAtEnd: fc.constantFrom(false, false, false, false, true),
      required: fc.boolean(),
    }),
    { minLength: 1, maxLength: PIPELINE.length },
  )
  .map((list) => list.map((s, i) => ({ ...s, name: PIPELINE[i] ?? `agent-${i}` })));

describe("stream invariants hold for random agent and tool behaviour", () => {
  it("gapless seq, one terminal event last, pipeline order, tool pairs — whatever happens", async () => {
    await fc.assert(
      fc.asyncProperty(scripts, fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }), async (list, cancelAfter) => {
        const { factory, sink } = suiteFactory({ agents: list.map(scriptedAgent), config: { toolTimeoutMs: 15 } });
        const handle = factory.start({ userId: "prop-user", threadId: "t", request: "random" });
        let seen = 0;
        const stop = sink.subscribe("prop-user", () => {
          seen += 1;
          if (seen === cancelAfter) factory.cancel(handle.runId, "prop-user");
        });
        const outcome = await handle.done;
        stop();
        const events = sink.events(handle.runId, "prop-user");
        expect(checkRunInvariants(events)).toEqual([]);
        const terminal = events.at(-1)?.type;
        const expected = { completed: EventType.RUN_COMPLETED, failed: EventType.RUN_FAILED, cancelled: EventType.RUN_CANCELLED }[outcome.status];
        expect(terminal).toBe(expected);
        expect(factory.activeRuns("prop-user")).toEqual([]);
      }),
      { numRuns: 80 },
    );
  });
});
