import { describe, expect, it } from "vitest";
import { requestHashes } from "./request-hash.ts";

const system = { role: "system", content: "You are terse." };
const ask = (content: string) => ({ role: "user", content });

describe("request hashes", () => {
  it("is the same for the same request, whatever the key order of the export", () => {
    const a = requestHashes({ model: "gpt-4o", messages: [system, ask("hi")], temperature: 0 });
    const b = requestHashes({ model: "gpt-4o", messages: [{ content: "You are terse.", role: "system" }, ask("hi")], temperature: 0 });
    expect(b).toEqual(a);
  });

  it("changes with the model, a message, the tools or the temperature", () => {
    const base = requestHashes({ model: "gpt-4o", messages: [system, ask("hi")], temperature: 0 }).request_hash;
    const variants = [
      requestHashes({ model: "gpt-4o-mini", messages: [system, ask("hi")], temperature: 0 }),
      requestHashes({ model: "gpt-4o", messages: [system, ask("hello")], temperature: 0 }),
      requestHashes({ model: "gpt-4o", messages: [system, ask("hi")], temperature: 0, tools: [{ name: "f" }] }),
      requestHashes({ model: "gpt-4o", messages: [system, ask("hi")], temperature: 1 }),
    ].map((h) => h.request_hash);
    expect(new Set([base, ...variants]).size).toBe(5);
  });

  it("gives the prefix (every message but the last) one hash across different last messages", () => {
    const a = requestHashes({ model: "gpt-4o", messages: [system, ask("first question")] });
    const b = requestHashes({ model: "gpt-4o", messages: [system, ask("second question")] });
    expect(a.prefix_hash).toBeDefined();
    expect(a.prefix_hash).toBe(b.prefix_hash);
    expect(a.request_hash).not.toBe(b.request_hash);
    expect(requestHashes({ model: "gpt-4o", messages: [ask("alone")] }).prefix_hash).toBeUndefined();
  });
});
