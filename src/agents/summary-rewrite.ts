import type { FallbackLlm } from "../llm/fallback.ts";

// The LLM's rewrite of the templated overview, accepted only when every number in it comes from the computed
// results: a model that invents or recomputes a figure is caught here and the template stands.

const NUMBER = /\d[\d,]*(?:\.\d+)?/g;
const REWRITE_TIMEOUT_MS = 30_000;

function numbersIn(text: string): Set<string> {
  return new Set([...text.matchAll(NUMBER)].map((m) => m[0].replace(/,/g, "").replace(/\.0+$/, "")));
}

/** Numbers of `text` that appear nowhere in `facts`. */
export function foreignNumbers(text: string, facts: string): string[] {
  const known = numbersIn(facts);
  return [...numbersIn(text)].filter((n) => !known.has(n));
}

export type RewriteOutcome = { kind: "rewritten"; text: string } | { kind: "kept"; reason: string };

export async function rewriteOverview(llm: FallbackLlm, overview: string, facts: string, signal: AbortSignal): Promise<RewriteOutcome> {
  const answer = await llm.chat(
    {
      messages: [
        {
          role: "system",
          content:
            "You write the executive summary of an LLM-spend report for a busy engineering manager: two short paragraphs, plain prose, no headings. " +
            "Use ONLY numbers that appear verbatim in the draft or the facts; never compute, round differently or invent a number.",
        },
        { role: "user", content: `Draft:\n${overview}\n\nFacts (JSON):\n${facts}` },
      ],
      temperature: 0,
      maxTokens: 600,
    },
    { signal, timeoutMs: REWRITE_TIMEOUT_MS },
  );
  const text = answer.reply?.text.trim() ?? "";
  if (answer.fellBack && answer.reply === null) return { kind: "kept", reason: answer.reason };
  if (text === "") return { kind: "kept", reason: "the model returned an empty summary" };
  const foreign = foreignNumbers(text, `${overview}\n${facts}`);
  if (foreign.length > 0) return { kind: "kept", reason: `the model's summary has numbers that are not in the results (${foreign.slice(0, 5).join(", ")})` };
  return { kind: "rewritten", text };
}
