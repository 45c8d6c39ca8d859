import { OpportunityKind, type OpportunityKindName } from "../../protocol/names.ts";
import type { KindNotes } from "./answer-key.ts";

// How each kind is realized in the `saas` records and what "fixed" means for its true savings; copied into the
// answer key so that an evaluation can tell a detection's assumptions from the generator's.

export const PLANTED_PATTERNS: Readonly<Record<OpportunityKindName, KindNotes>> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: {
    pattern:
      "ticket_classification calls (short JSON labels, p90 output well under 256 tokens, no tools) served by gpt-4o " +
      "while the rest of the feature runs on gpt-4.1-nano",
    counterfactual: "the same tokens on gpt-4.1-nano",
  },
  [OpportunityKind.PROMPT_CACHING]: {
    pattern:
      "kb_search calls on claude-sonnet-4 with a stable prefix_hash/prefix_tokens of 2,400-3,600 tokens (above the " +
      "1,024 minimum) billed with no cache_read_tokens and no cache_write_tokens",
    counterfactual:
      "the prefix marked for caching: a cache read when any call sent the prefix within the last 5 minutes, else a " +
      "cache write at 1.25x (negative savings for those); the knock-on effect on calls that did cache is left out",
  },
  [OpportunityKind.RESPONSE_CACHING]: {
    pattern:
      "kb_search requests at temperature 0 repeating the request_hash, input and output of an answer that completed " +
      "successfully less than 10 minutes earlier",
    counterfactual: "the repeat served from a response cache: its whole cost saved",
  },
  [OpportunityKind.BATCH_API]: {
    pattern:
      "nightly_digest jobs (01:00-04:00 local time, UTC-5; non-streaming, no user_id, tags offline/nightly) at " +
      "service_tier standard",
    counterfactual: "the same calls at service_tier batch (0.5x)",
  },
  [OpportunityKind.PRIORITY_TIER]: {
    pattern: "crm_enrichment bursts (office hours, non-streaming, no user_id, tags offline) at service_tier priority",
    counterfactual: "the same calls at service_tier standard",
  },
  [OpportunityKind.OUTPUT_TRUNCATION]: {
    pattern:
      "support_chat answers cut at max_tokens 256 (finish_reason length), re-sent 1-8 s later with the same " +
      "request_hash and max_tokens 1024",
    counterfactual: "the truncated call never made: its whole cost saved",
  },
  [OpportunityKind.RETRY_WASTE]: {
    pattern:
      "support_agent steps with status error (error_type timeout, 30 s) that billed input and partial output, " +
      "re-sent with the same request_hash 1-20 s after the timeout",
    counterfactual: "the failed attempt never billed: its whole cost saved",
  },
  [OpportunityKind.CONTEXT_BLOAT]: {
    pattern:
      "support_chat sessions of 4+ turns re-sending the full history: input_tokens grows every turn (turn 2 onward " +
      "listed), with OpenAI's automatic cache reads of the previous prompt",
    counterfactual:
      "each turn trimmed to system prompt (700) + a 150-token running summary + the new message, no cache reads",
  },
};
