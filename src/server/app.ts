import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { openUsageStore } from "../analytics/open-usage-store.ts";
import type { UsageStore } from "../analytics/store.ts";
import { openBus } from "../bus/open-bus.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import { ErrorCode, type ErrorCodeName } from "../protocol/names.ts";
import { uuidv7 } from "../runtime/ids.ts";
import { openDatabase, type Database } from "../store/database.ts";
import { EventLog } from "../store/event-log.ts";
import { RunRepository } from "../store/runs.ts";
import { apiRoutes } from "./api-routes.ts";
import { Authenticator } from "./auth.ts";
import { authRoutes } from "./auth-routes.ts";
import type { ServerConfig } from "./config.ts";
import { healthRoutes } from "./health-routes.ts";
import { createApexFactory } from "./pipeline.ts";
import { RunLauncher } from "./run-launcher.ts";
import { RunLeases } from "./run-leases.ts";
import { usageRoutes } from "./usage-routes.ts";
import { wsGateway } from "./ws-gateway.ts";

// The composition root: the stores, the bus, the event log, the one engine factory and the real pipeline, wired into
// one fastify instance. Everything else in src/server/ receives what it needs from here.

export interface ApexApp {
  fastify: FastifyInstance;
  auth: Authenticator;
  /** The app store (accounts, threads, runs, event log). */
  database: Database;
  /** The durable event log every run writes to (the engine's sink). */
  log: EventLog;
  /** The usage store the agents read (to load a user's data without going through HTTP). */
  usage: UsageStore;
  /** This node's run leases and the sweeper of dead nodes' runs. */
  leases: RunLeases;
  /** Refuses new runs, lets the runs in flight finish up to the shutdown deadline, cancels the rest, flushes the event
   * log, closes the sockets (1001) and every store. */
  close(): Promise<void>;
}

const HTTP_STATUS: Partial<Record<ErrorCodeName, number>> = {
  [ErrorCode.INVALID_REQUEST]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.EMAIL_TAKEN]: 409,
  [ErrorCode.THREAD_BUSY]: 409,
  [ErrorCode.UPLOAD_TOO_LARGE]: 413,
  [ErrorCode.NO_USAGE_DATA]: 422,
  [ErrorCode.UNKNOWN_FORMAT]: 422,
  [ErrorCode.MIXED_FORMATS]: 422,
  [ErrorCode.CORRUPT_FILE]: 422,
  [ErrorCode.INVALID_RECORD]: 422,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.TOO_MANY_RUNS]: 429,
  [ErrorCode.DATABASE_UNAVAILABLE]: 503,
  [ErrorCode.BUS_UNAVAILABLE]: 503,
  [ErrorCode.SHUTTING_DOWN]: 503,
};

export async function buildApp(config: ServerConfig): Promise<ApexApp> {
  const fastify = Fastify({ logger: { level: config.logLevel }, bodyLimit: config.frameLimitBytes });
  const onError = (error: unknown) => fastify.log.error({ err: error }, "apex server error");
  const closers: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const closeAll = async () => {
    // Taken out once, newest first: a second call finds nothing left to close.
    for (const close of closers.splice(0).reverse()) await close().catch(onError);
  };
  try {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onPoolError: onError });
    closers.push(() => database.close());
    const bus = await openBus({ redisUrl: config.redisUrl, onError });
    closers.push(() => bus.close());
    const usage = await openUsageStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    closers.push(() => usage.close());
    const log = new EventLog({ db: database.db, bus, newEventId: uuidv7, onPublishError: onError });
    closers.push(() => log.close());
    const factory = createApexFactory({ usage, prices: new PriceBook(), llm: config.llm, sink: log, maxConcurrentRunsPerUser: config.maxConcurrentRuns });
    const { nodeId, leaseMs, leaseRenewMs: renewMs, sweepMs } = config;
    const leases = new RunLeases({ runs: new RunRepository(database.db), log, nodeId, leaseMs, renewMs, sweepMs, onError });
    leases.start();
    closers.push(() => leases.stop());
    const launcher = new RunLauncher({ db: database.db, factory, log, maxConcurrentRuns: config.maxConcurrentRuns, leases, onError });
    closers.push(async () => {
      await factory.shutdown();
      await launcher.drain();
    });
    const auth = new Authenticator(database.db, config.jwtSecret, config.tokenTtlSeconds);
    if (config.adminEmail !== undefined && config.adminPassword !== undefined && !(await auth.hasUsers())) {
      const admin = await auth.createFirstAdmin(config.adminEmail, config.adminPassword);
      fastify.log.info(`created the first admin account ${admin.email}`);
    }

    fastify.setErrorHandler((error: FastifyError, _request, reply) => {
      const { status, code, message } = httpError(error);
      if (status >= 500) onError(error);
      void reply.code(status).send({ error: { code, message } });
    });
    await fastify.register(healthRoutes, { database });
    await fastify.register(authRoutes, { auth });
    await fastify.register(apiRoutes, { auth, db: database.db, log });
    await fastify.register(usageRoutes, { auth, usage, prices: new PriceBook(), dataDir: config.dataDir, uploadLimitBytes: config.uploadLimitBytes });
    await fastify.register(wsGateway, {
      auth,
      launcher,
      bus,
      log,
      runs: new RunRepository(database.db),
      frameLimitBytes: config.frameLimitBytes,
      heartbeatMs: config.heartbeatMs,
      socketByteBudget: config.socketByteBudget,
      rateLimitPerMinute: config.rateLimitPerMinute,
      onError,
    });
    await fastify.ready();
    return {
      fastify,
      auth,
      database,
      log,
      usage,
      leases,
      // Idempotent: a second close (a second SIGTERM, a test's cleanup) waits for the first instead of closing again.
      close: () =>
        (closing ??= (async () => {
          await launcher.shutdown(config.shutdownDeadlineMs);
          await fastify.close();
          await closeAll();
        })()),
    };
  } catch (error) {
    await fastify.close().catch(onError);
    await closeAll();
    throw error;
  }
}

/** An error as the HTTP answer: our codes map to a status; fastify's own 4xx (schema, body) become invalid_request. */
function httpError(error: FastifyError): { status: number; code: ErrorCodeName; message: string } {
  if (error.validation !== undefined || (error.statusCode !== undefined && error.statusCode < 500 && !(error instanceof ApexError))) {
    return { status: error.validation === undefined ? (error.statusCode ?? 400) : 400, code: ErrorCode.INVALID_REQUEST, message: error.message };
  }
  const apexError = toApexError(error);
  const status = HTTP_STATUS[apexError.code] ?? 500;
  const message = apexError.code === ErrorCode.INTERNAL ? "Something went wrong on the server; try again." : apexError.message;
  return { status, code: apexError.code, message };
}
