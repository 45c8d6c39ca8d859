import type { Bus } from "./bus.ts";
import { MemoryBus } from "./memory-bus.ts";
import { RedisBus } from "./redis-bus.ts";

// The bus for this process: Redis pub/sub when a REDIS_URL is configured (several nodes), in-process otherwise.

export interface OpenBusOptions {
  /** The value of REDIS_URL; the in-process bus when absent or empty. */
  redisUrl?: string | undefined;
  channelPrefix?: string;
  onError?: (error: unknown) => void;
  onReconnect?: () => void;
}

export async function openBus(options: OpenBusOptions = {}): Promise<Bus> {
  const { redisUrl, onError, onReconnect, channelPrefix } = options;
  if (redisUrl === undefined || redisUrl === "") {
    return new MemoryBus(onError === undefined ? {} : { onListenerError: onError });
  }
  return RedisBus.connect({
    url: redisUrl,
    ...(channelPrefix === undefined ? {} : { channelPrefix }),
    ...(onError === undefined ? {} : { onError }),
    ...(onReconnect === undefined ? {} : { onReconnect }),
  });
}
