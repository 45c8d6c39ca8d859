import { setTimeout as sleep } from "node:timers/promises";
import type { Agent } from "../../src/runtime/agent.ts";

// Agents whose behaviour is a script: which tools they call, how those calls go, and how the agent itself ends.
// The failure-path tests and the property tests build pipelines from them.

export type ToolMode = "ok" | "throw" | "hang" | "deaf";

export interface ToolStep {
  mode: ToolMode;
  /** The agent catches this call's error and goes on (otherwise the error ends the agent). */
  catchError: boolean;
  delayMs: number;
}

export interface AgentScript {
  name: string;
  steps: ToolStep[];
  /** Calls its tools all at once instead of one after another. */
  parallel?: boolean;
  /** Throws after its tool calls. */
  failAtEnd?: boolean;
  /** Stores a value that is not JSON in the metadata. */
  writeNonJson?: boolean;
  /** Works this long (ignoring its signal) before returning: for agent timeouts. */
  busyMs?: number;
  required?: boolean;
}

export function scriptedAgent(script: AgentScript): Agent {
  return {
    name: script.name,
    description: `Running the ${script.steps.length}-step script of ${script.name}.`,
    ...(script.required === undefined ? {} : { required: script.required }),
    async run({ tools, request, metadata, think }) {
      const call = async (step: ToolStep, i: number): Promise<string> => {
        try {
          const r = await tools.call<{ sha256: string }>("checksum", {
            text: `${request}#${script.name}#${i}`,
            mode: step.mode,
            delay_ms: step.delayMs,
          });
          return r.sha256;
        } catch (error) {
          if (!step.catchError) throw error;
          await think(`Step ${i + 1} failed (${(error as Error).message}); carrying on without it.`);
          return "failed";
        }
      };
      const digests = script.parallel
        ? await Promise.all(script.steps.map(call))
        : await script.steps.reduce<Promise<string[]>>(async (acc, step, i) => [...(await acc), await call(step, i)], Promise.resolve([]));
      metadata.appendToList("digests", { agent: script.name, digests });
      if (script.writeNonJson) metadata.storeResult("callback", { onDone: () => digests });
      if (script.busyMs !== undefined) await sleep(script.busyMs, undefined, { ref: false });
      if (script.failAtEnd) throw new Error(`${script.name} gave up after ${digests.length} steps`);
      return { summary: `${digests.filter((d) => d !== "failed").length} of ${digests.length} steps done` };
    },
  };
}

export const okStep = (delayMs = 0): ToolStep => ({ mode: "ok", catchError: false, delayMs });
