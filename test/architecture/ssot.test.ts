import path from "node:path";
import { describe, expect, it } from "vitest";
import { SSOT_CONCEPTS, type SsotConcept } from "../../src/cli/ssot-concepts.ts";
import { buildSsotReport, type ConceptReport, type SsotReport } from "../../src/cli/ssot-report.ts";
import { ROOT, runApex } from "./run-apex.ts";

// `apex check --ssot`: one implementation per concept on this tree; every way a second implementation gives itself away
// caught on a fixture tree.

const FIXTURES = path.join(ROOT, "test/architecture/fixtures");

function concept(report: SsotReport, id: string): ConceptReport {
  const found = report.concepts.find((c) => c.id === id);
  if (!found) throw new Error(`no concept ${id} in the report`);
  return found;
}

describe("apex check --ssot on this tree", () => {
  const run = runApex(["check", "--ssot", "--json"]);
  const report = JSON.parse(run.stdout) as SsotReport;

  it("lists exactly one implementation for every built concept and passes", () => {
    expect(run.status).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.concepts.map((c) => c.id)).toEqual(SSOT_CONCEPTS.map((c) => c.id));
    for (const c of report.concepts) {
      expect(c.lookalikes, c.id).toEqual([]);
      expect(["ok", "not-built"]).toContain(c.status);
      const expected = SSOT_CONCEPTS.find((s) => s.id === c.id)?.symbols ?? [];
      if (c.status === "ok") expect(c.implementations.map((d) => d.name)).toEqual(expected.map((s) => s.name));
    }
    expect(concept(report, "execution-engine").implementations).toContainEqual(
      expect.objectContaining({ name: "ExecutionEngine", kind: "class", file: "src/runtime/engine.ts" }),
    );
  });

  it("reports every class hierarchy and the counts", () => {
    expect(report.classes).toContainEqual(
      expect.objectContaining({ name: "ApexError", file: "src/protocol/errors.ts", chain: ["ApexError", "Error"], externalBase: true }),
    );
    expect(report.counts.productionFiles).toBeGreaterThan(10);
    expect(report.counts.layers.runtime?.files).toBeGreaterThan(5);
    expect(report.counts.namedValues).toBeGreaterThan(50);
    expect(Object.values(report.counts.concepts).reduce((a, b) => a + b, 0)).toBe(SSOT_CONCEPTS.length);
  });

  it("prints a readable report by default", () => {
    const text = runApex(["check", "--ssot"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^SSOT report: \d+ concepts/);
    expect(text.stdout).toContain("[ok] ExecutionEngine + ExecutionEngineConfig  →  src/runtime/engine.ts");
    expect(text.stdout).toContain("Class hierarchy");
    expect(text.stdout).toContain("How a second implementation is found");
  });
});

describe("apex check --ssot on fixture trees", () => {
  it("passes single implementations and reports concepts not built yet without failing", () => {
    const report = buildSsotReport(path.join(FIXTURES, "ssot-clean"));
    expect(report.ok).toBe(true);
    expect(concept(report, "execution-engine").status).toBe("ok");
    expect(concept(report, "agents").members.map((m) => m.name).sort()).toEqual(['"data"', '"triage"']);
    expect(concept(report, "ws-gateway").status).toBe("not-built");
    expect(concept(report, "registry").status).toBe("not-built");
  });

  it("lists the concept modules ARCHITECTURE.md does not mention, without failing", () => {
    const report = buildSsotReport(path.join(FIXTURES, "ssot-clean"));
    expect(report.undocumented).toContain("src/runtime/tool-dispatcher.ts");
    expect(report.undocumented).not.toContain("src/runtime/engine.ts");
    expect(report.undocumented).not.toContain("src/agents/");
    expect(report.ok).toBe(true);
  });

  it("fails a second engine found by name, by heritage and by a second config declaration", () => {
    const report = buildSsotReport(path.join(FIXTURES, "ssot-duplicate"));
    expect(report.ok).toBe(false);
    const engine = concept(report, "execution-engine");
    expect(engine.status).toBe("duplicated");
    expect(engine.lookalikes.map((l) => `${l.rule} ${l.name} ${l.file}`).sort()).toEqual([
      "heritage Turbo src/server/turbo.ts",
      "name FastEngine src/agents/fast-engine.ts",
      "same-name ExecutionEngineConfig src/store/engine-config.ts",
    ]);
  });

  it("fails a class with the dispatcher's shape, a second index of named values and two agents with one name", () => {
    const report = buildSsotReport(path.join(FIXTURES, "ssot-duplicate"));
    expect(concept(report, "tool-dispatcher").lookalikes).toEqual([
      expect.objectContaining({ rule: "structure", name: "CallRouter", file: "src/tools/call-router.ts" }),
    ]);
    expect(concept(report, "named-values").lookalikes).toEqual([
      expect.objectContaining({ rule: "structure", name: "EventKinds", file: "src/bus/event-kinds.ts" }),
    ]);
    expect(concept(report, "agents").lookalikes).toEqual([
      expect.objectContaining({ rule: "duplicate-member", name: '"triage"' }),
    ]);
  });

  it("fails a module importing a package another concept owns", () => {
    const owned: SsotConcept = {
      id: "raw-sockets",
      original: "socket server",
      module: "src/server/ws-gateway.ts",
      symbols: [],
      ownedPackages: [/^node:net$/],
    };
    const report = buildSsotReport(path.join(FIXTURES, "ssot-duplicate"), [owned]);
    expect(concept(report, "raw-sockets").lookalikes).toEqual([
      expect.objectContaining({ rule: "package", name: "node:net", file: "src/bus/raw-socket.ts" }),
    ]);
  });

  it("fails a concept whose module no longer declares its symbol", () => {
    const report = buildSsotReport(path.join(FIXTURES, "ssot-missing"));
    expect(concept(report, "registry")).toMatchObject({ status: "missing", missing: ["class Registry"] });
    expect(report.ok).toBe(false);
  });

  it("exits 1 from the command line when a concept is duplicated", () => {
    const run = runApex(["check", "--ssot", "--json", "--root", path.join(FIXTURES, "ssot-duplicate")]);
    expect(run.status).toBe(1);
    expect((JSON.parse(run.stdout) as SsotReport).ok).toBe(false);
  });
});
