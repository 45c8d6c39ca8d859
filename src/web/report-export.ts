import { reportMarkdown } from "../protocol/report-markdown.ts";
import type { Report } from "../protocol/report.ts";

// The report as downloadable files. The Markdown is the same rendering the chat answer and `apex analyze` use; the
// JSON is the report object exactly as `final_report` carried it (and `apex analyze --json` prints it).

export interface ExportFile {
  name: string;
  mime: string;
  text: string;
}

export type ExportFormat = "markdown" | "json";

function baseName(report: Report): string {
  const day = (iso: string) => iso.slice(0, 10).replace(/[^0-9-]/g, "");
  const from = day(report.period.from);
  const to = day(report.period.to);
  return from === "" || to === "" ? "apex-report" : `apex-report-${from}-to-${to}`;
}

export function exportReport(report: Report, format: ExportFormat): ExportFile {
  if (format === "json") return { name: `${baseName(report)}.json`, mime: "application/json", text: `${JSON.stringify(report, null, 2)}\n` };
  return { name: `${baseName(report)}.md`, mime: "text/markdown", text: reportMarkdown(report) };
}
