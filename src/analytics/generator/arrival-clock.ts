import { FIVE_MINUTE_RATE_SIGMA } from "./calibration.ts";
import type { Prng } from "./prng.ts";

// Places episodes in time: each traffic stream has a daily shape in local time, the streams are mixed by their share
// of records, and every 5-minute window gets a random rate factor whose spread is fitted on the Azure trace.

const BIN_MS = 5 * 60_000;
const BINS_PER_DAY = 288;
const DAY_MS = 86_400_000;

/** Relative arrival rate by local hour (24 values) and the factor applied on Saturdays and Sundays. */
export interface ArrivalProfile {
  hourly: readonly number[];
  weekendFactor: number;
}

export interface ArrivalStream {
  profile: ArrivalProfile;
  /** Share of all records this stream produces. */
  recordShare: number;
  /** Average records per episode, to turn a record rate into an episode rate. */
  meanEpisodeSize: number;
}

export class ArrivalClock {
  private readonly startMs: number;
  private readonly bins: number;
  /** Episode rate of each stream per bin, stream-major. */
  private readonly episodeRate: Float64Array;
  /** Cumulative record intensity at the start of each bin (bins + 1 values). */
  private readonly cumulative: Float64Array;
  private readonly streams: number;

  constructor(startMs: number, days: number, streams: readonly ArrivalStream[], prng: Prng, utcOffsetHours: number) {
    this.startMs = startMs;
    this.bins = Math.max(1, Math.round(days * BINS_PER_DAY));
    this.streams = streams.length;
    const noise = new Float64Array(this.bins);
    for (let b = 0; b < this.bins; b++) noise[b] = Math.exp(FIVE_MINUTE_RATE_SIGMA * prng.normal());
    const recordRate = new Float64Array(this.bins * this.streams);
    streams.forEach((stream, s) => {
      let total = 0;
      for (let b = 0; b < this.bins; b++) {
        const rate = profileAt(stream.profile, startMs + b * BIN_MS, utcOffsetHours) * (noise[b] ?? 1);
        recordRate[s * this.bins + b] = rate;
        total += rate;
      }
      // A stream silent over the whole period (weekday traffic in a weekend-only window) produces nothing.
      const scale = total > 0 ? stream.recordShare / total : 0;
      for (let b = 0; b < this.bins; b++) recordRate[s * this.bins + b] = (recordRate[s * this.bins + b] ?? 0) * scale;
    });
    this.episodeRate = new Float64Array(this.bins * this.streams);
    this.cumulative = new Float64Array(this.bins + 1);
    for (let b = 0; b < this.bins; b++) {
      let inBin = 0;
      streams.forEach((stream, s) => {
        const rate = recordRate[s * this.bins + b] ?? 0;
        inBin += rate;
        this.episodeRate[s * this.bins + b] = rate / stream.meanEpisodeSize;
      });
      this.cumulative[b + 1] = (this.cumulative[b] ?? 0) + inBin;
    }
  }

  /** The time by which a fraction `u` (0..1) of all records has arrived, and its bin. */
  timeAt(u: number): { ms: number; bin: number } {
    const target = Math.min(Math.max(u, 0), 1) * (this.cumulative[this.bins] ?? 0);
    let lo = 0;
    let hi = this.bins - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.cumulative[mid] ?? 0) <= target) lo = mid;
      else hi = mid - 1;
    }
    const start = this.cumulative[lo] ?? 0;
    const width = (this.cumulative[lo + 1] ?? start) - start;
    const within = width > 0 ? Math.min((target - start) / width, 1) : 0;
    return { ms: Math.floor(this.startMs + (lo + within) * BIN_MS), bin: lo };
  }

  /** A stream drawn in proportion to its episode rate in `bin`, among those `allowed`. */
  pickStream(bin: number, prng: Prng, allowed: (stream: number) => boolean = () => true): number {
    const weights: number[] = [];
    for (let s = 0; s < this.streams; s++) weights.push(allowed(s) ? (this.episodeRate[s * this.bins + bin] ?? 0) : 0);
    if (weights.every((w) => w === 0)) {
      const fallback = weights.findIndex((_, s) => allowed(s));
      return fallback < 0 ? 0 : fallback;
    }
    return prng.weighted(weights);
  }
}

/** Local hour (0-23) and whether it is a weekend, for a UTC time and a fixed UTC offset. */
export function localClock(ms: number, utcOffsetHours: number): { hour: number; weekend: boolean } {
  const local = new Date(ms + utcOffsetHours * 3_600_000);
  const day = local.getUTCDay();
  return { hour: local.getUTCHours(), weekend: day === 0 || day === 6 };
}

function profileAt(profile: ArrivalProfile, ms: number, utcOffsetHours: number): number {
  const { hour, weekend } = localClock(ms, utcOffsetHours);
  return (profile.hourly[hour] ?? 0) * (weekend ? profile.weekendFactor : 1);
}

export { DAY_MS };
