import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { WireError } from "../protocol/events.ts";
import { Role, Tier } from "../protocol/names.ts";

// The app store's tables: the source of the committed SQL migrations (`npx drizzle-kit generate`), shared by PGlite and
// PostgreSQL. Ids are text so callers may choose them (a run id is known before its row exists).

export const RunStatus = {
  QUEUED: "queued",
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  CANCELLED: "cancelled",
} as const;
export type RunStatusName = (typeof RunStatus)[keyof typeof RunStatus];

export const MessageRole = { USER: "user", ASSISTANT: "assistant" } as const;
export type MessageRoleName = (typeof MessageRole)[keyof typeof MessageRole];

export const userRole = pgEnum("user_role", [Role.USER, Role.ADMIN]);
export const userTier = pgEnum("user_tier", [Tier.FREE, Tier.PRO, Tier.ENTERPRISE]);
export const runStatus = pgEnum("run_status", [
  RunStatus.QUEUED,
  RunStatus.RUNNING,
  RunStatus.COMPLETED,
  RunStatus.FAILED,
  RunStatus.CANCELLED,
]);
export const messageRole = pgEnum("message_role", [MessageRole.USER, MessageRole.ASSISTANT]);

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Stored lower-cased and trimmed, so one address is one account. */
    email: text("email").notNull(),
    /** An argon2 hash computed by the server; the store never sees a password. */
    passwordHash: text("password_hash").notNull(),
    role: userRole("role").notNull().default(Role.USER),
    tier: userTier("tier").notNull().default(Tier.FREE),
    createdAt: createdAt(),
    /** Set by an admin: a disabled account cannot sign in, and its tokens and API keys stop working. */
    disabledAt: timestamp("disabled_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("users_email_key").on(t.email)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first characters of the key, shown in listings so a user can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the key: keys are long random tokens, so a fast hash is enough and lookups stay indexable. */
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("api_keys_key_hash_key").on(t.keyHash), index("api_keys_user_idx").on(t.userId)],
);

export const threads = pgTable(
  "threads",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("threads_owner_updated_idx").on(t.ownerId, t.updatedAt)],
);

export const runs = pgTable(
  "runs",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    threadId: text("thread_id")
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    request: text("request").notNull(),
    status: runStatus("status").notNull().default(RunStatus.QUEUED),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date" }),
    error: jsonb("error").$type<WireError>(),
    /** The node executing the run and until when its lease holds; a run whose lease lapses is closed as interrupted. */
    nodeId: text("node_id").notNull(),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    index("runs_thread_created_idx").on(t.threadId, t.createdAt),
    index("runs_open_lease_idx").on(t.leaseExpiresAt).where(sql`${t.endedAt} is null`),
  ],
);

export const messages = pgTable(
  "messages",
  {
    /** Insertion order within the store: the paging cursor. */
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    threadId: text("thread_id")
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    role: messageRole("role").notNull(),
    content: text("content").notNull(),
    runId: text("run_id").references(() => runs.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("messages_thread_id_idx").on(t.threadId, t.id)],
);

export const eventLog = pgTable(
  "event_log",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    /** The whole wire envelope, exactly as the emitter built it. */
    envelope: jsonb("envelope").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

/** Questions agents asked their run's owner (`awaiting_input`) and the first answer (`respond`); one row each. */
export const interrupts = pgTable(
  "interrupts",
  {
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    prompt: text("prompt").notNull(),
    options: jsonb("options").$type<string[]>().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    /** Null until answered; set once (the first answer wins). */
    decision: text("decision"),
    payload: jsonb("payload").$type<Record<string, unknown>>(),
    answeredAt: timestamp("answered_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
  },
  (t) => [index("interrupts_run_idx").on(t.runId)],
);

/** Every admin action and catalog change (and every refused attempt): who, what, on what, with which parameters. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Null when the actor's account was deleted since; the email is kept for the record. */
    actorId: text("actor_id").references(() => users.id, { onDelete: "set null" }),
    actorEmail: text("actor_email").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    /** The action's parameters, secrets removed before they get here. */
    params: jsonb("params").$type<Record<string, unknown>>().notNull(),
    /** `ok`, or `denied` for an attempt the actor was not allowed to make. */
    outcome: text("outcome").notNull(),
  },
  (t) => [index("audit_log_at_idx").on(t.at), index("audit_log_actor_idx").on(t.actorId, t.at)],
);

/**
 * The supply catalog, versioned: each row is a whole catalog (the model entries that extend or override the bundled
 * prices) for one scope, `global` or a tenant (a user id). A change or a rollback writes a new version; none is edited.
 */
export const catalogVersions = pgTable(
  "catalog_versions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    scope: text("scope").notNull(),
    version: integer("version").notNull(),
    authorId: text("author_id").references(() => users.id, { onDelete: "set null" }),
    authorEmail: text("author_email").notNull(),
    reason: text("reason").notNull(),
    entries: jsonb("entries").$type<Record<string, unknown>[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("catalog_versions_scope_version_key").on(t.scope, t.version)],
);

/** Synthetic data jobs: the workload profile a user asked for, its approval, progress and the corpus it landed as. */
export const syntheticJobs = pgTable(
  "synthetic_jobs",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    runId: text("run_id").references(() => runs.id, { onDelete: "set null" }),
    profile: jsonb("profile").$type<Record<string, unknown>>().notNull(),
    status: text("status").notNull(),
    recordsTotal: integer("records_total").notNull(),
    recordsDone: integer("records_done").notNull().default(0),
    corpus: text("corpus").notNull(),
    error: jsonb("error").$type<WireError>(),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("synthetic_jobs_owner_idx").on(t.ownerId, t.createdAt)],
);

/** Where one ingest is: reading (its node holds a lease), done, stopped early (`partial`), or its corpus deleted since. */
export const IngestStatus = {
  RUNNING: "running",
  COMPLETE: "complete",
  PARTIAL: "partial",
  DELETED: "deleted",
} as const;
export type IngestStatusName = (typeof IngestStatus)[keyof typeof IngestStatus];

/**
 * One row per ingest: the records it reserved then kept (what the per-day ingest quota counts), where it is, and the
 * node running it until when (a lapsed lease means that node died: the ingest is closed as `partial`).
 */
export const ingestLog = pgTable(
  "ingest_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    corpus: text("corpus").notNull(),
    records: integer("records").notNull(),
    status: text("status").$type<IngestStatusName>().notNull().default(IngestStatus.COMPLETE),
    nodeId: text("node_id"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** Why a partial ingest stopped (an error code). */
    errorCode: text("error_code"),
  },
  (t) => [
    index("ingest_log_owner_at_idx").on(t.ownerId, t.at),
    index("ingest_log_owner_corpus_idx").on(t.ownerId, t.corpus, t.id),
    index("ingest_log_running_idx").on(t.leaseExpiresAt).where(sql`${t.status} = 'running'`),
  ],
);

/** How long a corpus keeps its usage records (days); a corpus without a row follows the server's default. */
export const corpusRetention = pgTable(
  "corpus_retention",
  {
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    corpus: text("corpus").notNull(),
    /** 0 keeps every record of the corpus, whatever the default. */
    days: integer("days").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.corpus] })],
);
