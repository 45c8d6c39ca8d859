import { describe, expect, it } from "vitest";
import { classifyIntent } from "./intent-rules.ts";
import { Intent } from "./intent.ts";
import { readCorpusCommand } from "./corpus-request.ts";

describe("reading a dataset command", () => {
  it("reads describe, rename and delete with the names as written", () => {
    expect(readCorpusCommand("describe dataset Prod-2025")).toEqual({ op: "describe", corpus: "Prod-2025" });
    expect(readCorpusCommand("what's in the staging corpus?")).toEqual({ op: "describe", corpus: "staging" });
    expect(readCorpusCommand('rename dataset "march" to april.v2')).toEqual({ op: "rename", corpus: "march", name: "april.v2" });
    expect(readCorpusCommand("Rename the staging dataset to old_staging")).toEqual({ op: "rename", corpus: "staging", name: "old_staging" });
    expect(readCorpusCommand("delete the staging dataset")).toEqual({ op: "delete", corpus: "staging" });
    expect(readCorpusCommand("please remove corpus demo")).toEqual({ op: "delete", corpus: "demo" });
  });

  it("leaves other requests alone, and the commands read as dataset management", () => {
    for (const text of ["list my corpora", "where can I save money?", "delete my data", "how much did the chat feature cost?"]) {
      expect(readCorpusCommand(text), text).toBeNull();
    }
    for (const text of ["describe dataset prod", "rename dataset a to b", "delete the staging dataset"]) {
      expect(classifyIntent(text, { models: 0, hasEntities: false }).intent, text).toBe(Intent.ADMIN);
    }
  });
});
