import { Redis } from "ioredis";
import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { RunEventSchema, type RunEvent } from "../protocol/events.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { deliver, type Bus, type BusListener, type BusNotice, type NoticeListener, type Unsubscribe } from "./bus.ts";
import { redactUrl } from "../protocol/redact.ts";

// Fan-out between nodes over Redis pub/sub: one channel per run. A node then receives only the runs its clients follow
// (one shared channel would send every node every event of the cluster); SUBSCRIBE/UNSUBSCRIBE per followed run is
// cheap in Redis. Publishing and subscribing use separate connections, as Redis requires of a subscribed connection.

export interface RedisBusOptions {
  url: string;
  /** Namespace of the channels (tests and clusters sharing a Redis use distinct ones). */
  channelPrefix?: string;
  /** Connection errors (ioredis reconnects by itself) and malformed messages; never thrown. */
  onError?: (error: unknown) => void;
  /**
   * The subscriber connection came back after a drop. Events published meanwhile were not delivered: followers
   * should read the log after their last `seq` (the gateway's replay does).
   */
  onReconnect?: () => void;
}

const DEFAULT_PREFIX = "apex:";
const RunEventsMessage = z.array(RunEventSchema).min(1);
const NoticeMessage = z.object({ kind: z.literal("account_changed"), user_id: z.string().min(1).max(200) });

interface Channel {
  listeners: Set<BusListener>;
  /** The SUBSCRIBE of this channel; every subscriber of the run waits for it. */
  live: Promise<unknown>;
}

export class RedisBus implements Bus {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  /** The one channel of notices, which every node subscribes to once its first listener comes. */
  readonly #noticeChannel: string;
  readonly #noticeListeners = new Set<NoticeListener>();
  #noticeLive: Promise<unknown> | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #channels = new Map<string, Channel>();

  private constructor(options: RedisBusOptions) {
    this.#prefix = `${options.channelPrefix ?? DEFAULT_PREFIX}run:`;
    this.#noticeChannel = `${options.channelPrefix ?? DEFAULT_PREFIX}notice`;
    this.#onError = options.onError ?? (() => undefined);
    // Named so an operator (or a test) can tell this node's connections apart in CLIENT LIST.
    const connection = { lazyConnect: true, maxRetriesPerRequest: 2 };
    this.#publisher = new Redis(options.url, { ...connection, connectionName: `${this.#prefix}publisher` });
    this.#subscriber = new Redis(options.url, { ...connection, connectionName: `${this.#prefix}subscriber`, autoResubscribe: true });
    // Without an error listener a dropped connection would crash the process.
    this.#publisher.on("error", this.#onError);
    this.#subscriber.on("error", this.#onError);
    let connectedOnce = false;
    this.#subscriber.on("ready", () => {
      if (connectedOnce) options.onReconnect?.();
      connectedOnce = true;
    });
    this.#subscriber.on("message", (channel: string, message: string) => this.#receive(channel, message));
  }

  /** Connects both connections; throws `bus_unavailable` when Redis does not answer. */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(options);
    try {
      await Promise.all([bus.#publisher.connect(), bus.#subscriber.connect()]);
    } catch (error) {
      bus.#publisher.disconnect();
      bus.#subscriber.disconnect();
      throw new ApexError(
        ErrorCode.BUS_UNAVAILABLE,
        `Could not connect to Redis at ${redactUrl(options.url, `the configured ${EnvVar.REDIS_URL} (not a valid URL)`)}: ${error instanceof Error ? error.message : String(error)}. Check REDIS_URL and that Redis is running.`,
        { cause: error, retryable: true },
      );
    }
    return bus;
  }

  async publish(events: readonly RunEvent[]): Promise<void> {
    const byRun = new Map<string, RunEvent[]>();
    for (const event of events) {
      const list = byRun.get(event.run_id) ?? [];
      list.push(event);
      byRun.set(event.run_id, list);
    }
    if (byRun.size === 0) return;
    // One round trip per batch; a run's events travel as one message so they arrive together and in order.
    const pipeline = this.#publisher.pipeline();
    for (const [runId, list] of byRun) pipeline.publish(this.#prefix + runId, JSON.stringify(list));
    const results = await pipeline.exec().catch((error: unknown) => [[error, null] as [unknown, unknown]]);
    const failure = (results ?? []).find(([error]) => error !== null)?.[0];
    if (failure !== undefined) {
      throw new ApexError(ErrorCode.BUS_UNAVAILABLE, `Could not publish ${events.length} events to Redis; they stay in the event log for replay.`, {
        cause: failure,
        retryable: true,
      });
    }
  }

  async subscribe(runId: string, listener: BusListener): Promise<Unsubscribe> {
    const name = this.#prefix + runId;
    let channel = this.#channels.get(name);
    if (channel === undefined) {
      channel = { listeners: new Set(), live: this.#subscriber.subscribe(name) };
      this.#channels.set(name, channel);
    }
    channel.listeners.add(listener);
    const current = channel;
    try {
      await current.live;
    } catch (error) {
      this.#leave(name, current, listener);
      throw new ApexError(ErrorCode.BUS_UNAVAILABLE, `Could not follow run ${runId} on Redis; try again shortly.`, { cause: error, retryable: true });
    }
    return () => this.#leave(name, current, listener);
  }

  async notify(notice: BusNotice): Promise<void> {
    try {
      await this.#publisher.publish(this.#noticeChannel, JSON.stringify(notice));
    } catch (error) {
      throw new ApexError(ErrorCode.BUS_UNAVAILABLE, "Could not tell the other nodes of an account change on Redis; try again shortly.", { cause: error, retryable: true });
    }
  }

  async onNotice(listener: NoticeListener): Promise<Unsubscribe> {
    this.#noticeListeners.add(listener);
    this.#noticeLive ??= this.#subscriber.subscribe(this.#noticeChannel);
    try {
      await this.#noticeLive;
    } catch (error) {
      this.#noticeListeners.delete(listener);
      this.#noticeLive = undefined;
      throw new ApexError(ErrorCode.BUS_UNAVAILABLE, "Could not listen to account changes on Redis; try again shortly.", { cause: error, retryable: true });
    }
    return () => this.#noticeListeners.delete(listener);
  }

  async ready(timeoutMs: number): Promise<boolean> {
    const connections = [this.#publisher, this.#subscriber];
    // A connection that is reconnecting would queue the PING until Redis is back: answer at once instead.
    if (connections.some((connection) => connection.status !== "ready")) return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const pings = Promise.all(connections.map((connection) => connection.ping())).then(() => true, () => false);
    try {
      return await Promise.race([pings, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#channels.clear();
    this.#noticeListeners.clear();
    await Promise.allSettled([this.#publisher.quit(), this.#subscriber.quit()]);
  }

  #leave(name: string, channel: Channel, listener: BusListener): void {
    channel.listeners.delete(listener);
    if (channel.listeners.size > 0 || this.#channels.get(name) !== channel) return;
    this.#channels.delete(name);
    this.#subscriber.unsubscribe(name).catch(this.#onError);
  }

  #receiveNotice(message: string): void {
    let checked: ReturnType<typeof NoticeMessage.safeParse>;
    try {
      checked = NoticeMessage.safeParse(JSON.parse(message));
    } catch (error) {
      this.#onError(new ApexError(ErrorCode.INVALID_EVENT, `A message on ${this.#noticeChannel} is not JSON; it was dropped.`, { cause: error }));
      return;
    }
    if (!checked.success) {
      this.#onError(new ApexError(ErrorCode.INVALID_EVENT, `A message on ${this.#noticeChannel} is not a notice; it was dropped.`, { cause: checked.error }));
      return;
    }
    for (const listener of [...this.#noticeListeners]) {
      try {
        listener(checked.data);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  #receive(name: string, message: string): void {
    if (name === this.#noticeChannel) {
      this.#receiveNotice(message);
      return;
    }
    const channel = this.#channels.get(name);
    if (channel === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch (error) {
      this.#onError(new ApexError(ErrorCode.INVALID_EVENT, `A message on ${name} is not JSON; it was dropped.`, { cause: error }));
      return;
    }
    const checked = RunEventsMessage.safeParse(parsed);
    if (!checked.success) {
      this.#onError(new ApexError(ErrorCode.INVALID_EVENT, `A message on ${name} is not a list of run events; it was dropped.`, { cause: checked.error }));
      return;
    }
    for (const event of checked.data) deliver([...channel.listeners], event, this.#onError);
  }
}

