import type { Bus } from "../bus/bus.ts";
import type { ApexMetrics } from "../telemetry/metrics.ts";

// The bus as this node's followers see it: every delivery to a follower (a socket, an AG-UI stream) is timed from the
// event's emit time, which is the fan-out lag of /metrics. Publishing is untouched.

export function meteredBus(bus: Bus, metrics: Pick<ApexMetrics, "observeDelivery">): Bus {
  return {
    publish: (events) => bus.publish(events),
    subscribe: (runId, listener) =>
      bus.subscribe(runId, (event) => {
        metrics.observeDelivery(event);
        listener(event);
      }),
    notify: (notice) => bus.notify(notice),
    onNotice: (listener) => bus.onNotice(listener),
    ready: (timeoutMs) => bus.ready(timeoutMs),
    close: () => bus.close(),
  };
}
