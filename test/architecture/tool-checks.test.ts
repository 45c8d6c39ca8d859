import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// The checks `npm run check` delegates to maintained tools — dependency-cruiser (layers), jscpd (duplicates), knip
// (unused code) — run with the project's own config files on fixture trees, as child processes like CI runs them.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURES = path.join(ROOT, "test/architecture/fixtures");
const BIN = {
  depcruise: path.join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"),
  jscpd: path.join(ROOT, "node_modules/jscpd/bin/jscpd"),
  knip: path.join(ROOT, "node_modules/knip/bin/knip.js"),
};

function run(bin: string, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface CruiseViolation {
  from: string;
  to: string;
  rule: { name: string };
}

/** The violations (from the JSON report) and the exit status of the default reporter, which is what CI sees. */
function cruise(fixture: string): { status: number | null; violations: string[] } {
  const cwd = path.join(FIXTURES, fixture);
  const dirs = ["src", "test", "bench"].filter((dir) => existsSync(path.join(cwd, dir)));
  const config = ["--config", path.join(ROOT, ".dependency-cruiser.cjs")];
  const report = run(BIN.depcruise, [...dirs, ...config, "--output-type", "json"], cwd);
  const output = JSON.parse(report.stdout) as { summary: { violations: CruiseViolation[] } };
  return {
    status: run(BIN.depcruise, [...dirs, ...config], cwd).status,
    violations: output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort(),
  };
}

describe("layer rules (dependency-cruiser with .dependency-cruiser.cjs)", () => {
  it("passes a tree that imports in the direction of architecture.md", () => {
    expect(cruise("layers-clean")).toEqual({ status: 0, violations: [] });
  });

  it("fails on upward imports, imports of cli/, web beyond protocol, cycles and test → bench", () => {
    const { status, violations } = cruise("layers-violations");
    expect(status).not.toBe(0);
    expect(violations).toEqual(
      [
        "layer-analytics: src/analytics/reaches-cli.ts → src/cli/main.ts",
        "layer-runtime: src/runtime/reaches-server.ts → src/server/app.ts",
        "layer-web: src/web/reaches-runtime.ts → src/runtime/reaches-server.ts",
        "no-circular: src/store/messages.ts → src/store/threads.ts",
        "test-not-to-bench: test/reaches-bench.ts → bench/timer.ts",
      ].sort(),
    );
  });

  it("leaves the fixtures out of the main run", () => {
    const script = packageScripts()["check:layers"] ?? "";
    expect(script).toContain(".dependency-cruiser.cjs");
    const config = readFileSync(path.join(ROOT, ".dependency-cruiser.cjs"), "utf8");
    expect(config).toContain('exclude: { path: "^test/architecture/fixtures/" }');
  });
});

// jscpd skips paths containing test/architecture/fixtures (the main run must), so its fixtures are scanned from a copy.
const scratch = mkdtempSync(path.join(tmpdir(), "apex-jscpd-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function duplicates(fixture: string): { status: number | null; output: string } {
  const copy = path.join(scratch, fixture);
  cpSync(path.join(FIXTURES, fixture), copy, { recursive: true });
  const result = run(BIN.jscpd, ["--config", path.join(ROOT, ".jscpd.json"), "src"], copy);
  return { status: result.status, output: result.stdout + result.stderr };
}

describe("duplicated code (jscpd with .jscpd.json)", () => {
  it("passes code written once", () => {
    const { status, output } = duplicates("dupes-clean");
    expect(output).toContain("Found 0 clones");
    expect(status).toBe(0);
  });

  it("fails when a block is pasted into a second file", () => {
    const { status, output } = duplicates("dupes-violations");
    expect(output).toMatch(/too many duplicates \([\d.]+%\) over threshold/);
    expect(status).not.toBe(0);
  });
});

function unused(fixture: string): { status: number | null; issues: string[] } {
  const result = run(BIN.knip, ["--config", path.join(ROOT, "knip.json"), "--reporter", "json"], path.join(FIXTURES, fixture));
  const report = JSON.parse(result.stdout) as {
    issues: { file: string; files: { name: string }[]; exports: { name: string }[] }[];
  };
  return {
    status: result.status,
    issues: report.issues
      .flatMap((i) => [...i.files.map((f) => `file ${f.name}`), ...i.exports.map((e) => `export ${i.file}:${e.name}`)])
      .sort(),
  };
}

describe("unused files and exports (knip with knip.json)", () => {
  it("passes a tree where every file and export is used from the entry point", () => {
    expect(unused("knip-clean")).toEqual({ status: 0, issues: [] });
  });

  it("fails on a file nothing imports and an export nothing uses", () => {
    const { status, issues } = unused("knip-violations");
    expect(status).not.toBe(0);
    expect(issues).toEqual(["export src/runtime/greet.ts:farewell", "file src/runtime/forgotten.ts"]);
  });
});

function packageScripts(): Record<string, string> {
  return (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
}

describe("npm run check", () => {
  it("runs every part, and fails when any part fails", () => {
    const scripts = packageScripts();
    const check = scripts.check ?? "";
    for (const part of ["types", "lint", "layers", "dupes", "unused", "ssot"]) {
      expect(check).toContain(part);
      expect(scripts[`check:${part}`]).toBeDefined();
    }
    // The parts run one after another whatever each returns, and the script exits 1 when one of them failed.
    const withParts = (part: string) => spawnSync("sh", ["-c", check.replaceAll("npm run --silent check:$part", part)]).status;
    expect(withParts("true")).toBe(0);
    expect(withParts("test $part != dupes")).toBe(1);
  });
});
