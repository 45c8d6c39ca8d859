// Token and arrival figures fitted offline on the real traces of /work/shared/datasets (see its README):
//   azure-conv     = Azure/AzurePublicDataset AzureLLMInferenceTrace_conv.csv (Splitwise, ISCA 2024), 19,366 requests
//   azure-code     = Azure/AzurePublicDataset AzureLLMInferenceTrace_code.csv, 8,819 requests
//   mooncake       = kvcache-ai/Mooncake FAST25 synthetic_trace.jsonl, 3,993 requests
// Each token fit is a log-normal matched on the median and the 90th percentile: sigma = ln(p90 / p50) / z(0.9).
// calibration.test.ts recomputes the quantiles from the files and checks these figures.

export interface LogNormalFit {
  median: number;
  sigma: number;
}

/** z-score of the 90th percentile of the standard normal. */
export const Z_P90 = 1.2815515655446004;

/** azure-conv ContextTokens: p50 1,020, p90 2,734.5. Prompt sizes of a conversation service. */
export const CONV_CONTEXT: LogNormalFit = { median: 1020, sigma: 0.769 };
/** azure-conv GeneratedTokens: p50 129, p90 424. Chat answers. */
export const CONV_GENERATED: LogNormalFit = { median: 129, sigma: 0.929 };
/** azure-code ContextTokens: p50 1,469, p90 5,187.6. Code context, used for tool results fed back to an agent. */
export const CODE_CONTEXT: LogNormalFit = { median: 1469, sigma: 0.985 };
/** azure-code GeneratedTokens: p50 13, p90 55. Short structured outputs: labels, tool calls. */
export const CODE_GENERATED: LogNormalFit = { median: 13, sigma: 1.125 };
/** mooncake input_length: p50 11,587, p90 38,611. Long documents (summarization input). */
export const MOONCAKE_INPUT: LogNormalFit = { median: 11587, sigma: 0.939 };

/**
 * azure-conv arrivals: standard deviation of ln(count / mean count) over its eleven full 5-minute windows (0.176).
 * The traces cover one hour each, so they calibrate minute-scale burstiness only; the diurnal and weekly shape
 * of arrival-profile.ts is an assumption (business hours of one time zone), not a fit.
 */
export const FIVE_MINUTE_RATE_SIGMA = 0.176;
