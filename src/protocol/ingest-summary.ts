// What loading a usage file answers (POST /api/usage, POST /api/usage/demo, `apex ingest`): one shape for the ingest
// pipeline that builds it and the web UI that shows it.

export interface IngestSummary {
  format: string;
  records_read: number;
  ingested: number;
  duplicates: number;
  rejected: number;
  /** The first rejected lines (a bounded number), each with its line number and why. */
  rejections: { line: number; reason: string }[];
  cost_mismatches: number;
  unpriced_records: number;
  unpriced_models: string[];
  bytes: number;
  duration_ms: number;
}
