// Money and counts as the report's prose writes them; defined in the protocol layer so the web UI formats them alike.
export { count, plural, usd } from "../protocol/money.ts";
