// The report as Markdown; defined in the protocol layer so the web UI's export and the chat answer are the same text.
export { reportMarkdown } from "../protocol/report-markdown.ts";
