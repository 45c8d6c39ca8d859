import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, Tier, type RoleName, type TierName } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { apiKeys, runs, users } from "./schema.ts";

// Accounts. The store keeps the password HASH the server computed (argon2); it never sees a password.

export type User = typeof users.$inferSelect;
/** A user as listings show it: never the password hash. */
export type UserSummary = Omit<User, "passwordHash">;

export interface NewUser {
  email: string;
  passwordHash: string;
  role?: RoleName;
  tier?: TierName;
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
/** Held for the transaction that creates the first account, so two nodes set up at once create one admin, not two. */
const FIRST_ACCOUNT_LOCK_KEY = 4_170_061_007;
/** Held while an admin's role or state changes, so two admins demoting each other at once cannot leave none. */
const ADMIN_CHANGE_LOCK_KEY = 4_170_061_008;

/** A user as the admin listing shows it: with the time of the last run started or API key used. */
export type AdminUserSummary = UserSummary & { lastActivityAt: Date | null };

/** What an admin may change on an account; absent fields stay as they are. */
export interface UserChange {
  role?: RoleName;
  tier?: TierName;
  disabled?: boolean;
}

/** One spelling per address: trimmed and lower-cased. */
function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class UserRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /**
   * Creates `input` only while there is no account at all, atomically across every node of the cluster (an advisory
   * transaction lock, then the check and the insert); null when some account exists already.
   */
  async createFirst(input: NewUser): Promise<User | null> {
    return this.#db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${FIRST_ACCOUNT_LOCK_KEY})`);
      const [existing] = await tx.select({ id: users.id }).from(users).limit(1);
      if (existing !== undefined) return null;
      return new UserRepository(tx).create(input);
    });
  }

  /** Throws `invalid_request` for a malformed address or an empty hash, `email_taken` when the address has an account. */
  async create(input: NewUser): Promise<User> {
    const email = normalizeEmail(input.email);
    if (!EMAIL_PATTERN.test(email)) {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `"${input.email}" is not an email address; give one like name@example.com.`);
    }
    if (input.passwordHash === "") {
      throw new ApexError(ErrorCode.INVALID_REQUEST, "A user needs a password hash; hash the password before storing the user.");
    }
    const [created] = await this.#db
      .insert(users)
      .values({
        id: randomUUID(),
        email,
        passwordHash: input.passwordHash,
        role: input.role ?? Role.USER,
        tier: input.tier ?? Tier.FREE,
      })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (created === undefined) {
      throw new ApexError(ErrorCode.EMAIL_TAKEN, `An account with ${email} already exists; sign in instead, or use another address.`);
    }
    return created;
  }

  async findByEmail(email: string): Promise<User | null> {
    const [found] = await this.#db.select().from(users).where(eq(users.email, normalizeEmail(email))).limit(1);
    return found ?? null;
  }

  async findById(id: string): Promise<User | null> {
    const [found] = await this.#db.select().from(users).where(eq(users.id, id)).limit(1);
    return found ?? null;
  }

  /** By id, or by email when `ref` holds an @ (what an admin types in chat). */
  async findByRef(ref: string): Promise<User | null> {
    return ref.includes("@") ? this.findByEmail(ref) : this.findById(ref);
  }

  /**
   * Applies `change` to the account; null when there is none. Throws `last_admin` when it would leave no enabled admin
   * (decided under a lock, so concurrent changes on several nodes cannot get past it together).
   */
  async update(id: string, change: UserChange): Promise<User | null> {
    return this.#db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${ADMIN_CHANGE_LOCK_KEY})`);
      const [current] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
      if (current === undefined) return null;
      const staysAdmin = (change.role ?? current.role) === Role.ADMIN && (change.disabled ?? current.disabledAt !== null) === false;
      if (current.role === Role.ADMIN && current.disabledAt === null && !staysAdmin) {
        const [other] = await tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.role, Role.ADMIN), isNull(users.disabledAt), ne(users.id, id)))
          .limit(1);
        if (other === undefined) {
          throw new ApexError(ErrorCode.LAST_ADMIN, `${current.email} is the last enabled admin; make another account admin first, then change this one.`);
        }
      }
      const disabledAt = change.disabled === undefined ? current.disabledAt : change.disabled ? (current.disabledAt ?? new Date()) : null;
      const [updated] = await tx
        .update(users)
        .set({ role: change.role ?? current.role, tier: change.tier ?? current.tier, disabledAt })
        .where(eq(users.id, id))
        .returning();
      return updated ?? null;
    });
  }

  /** Every account (or the one of `id`) with its last activity (a run started, an API key used), oldest first. */
  async listWithActivity(id?: string): Promise<AdminUserSummary[]> {
    const lastRun = sql`(select max(${runs.createdAt}) from ${runs} where ${runs.ownerId} = ${users.id})`;
    const lastKeyUse = sql`(select max(${apiKeys.lastUsedAt}) from ${apiKeys} where ${apiKeys.userId} = ${users.id})`;
    return this.#db
      .select({
        id: users.id,
        email: users.email,
        role: users.role,
        tier: users.tier,
        createdAt: users.createdAt,
        disabledAt: users.disabledAt,
        lastActivityAt: sql<Date | null>`greatest(${lastRun}, ${lastKeyUse})`.mapWith(users.createdAt),
      })
      .from(users)
      .where(id === undefined ? undefined : eq(users.id, id))
      .orderBy(asc(users.createdAt), asc(users.id));
  }

  /** Every account, oldest first (an admin listing). */
  async list(): Promise<UserSummary[]> {
    return this.#db
      .select({ id: users.id, email: users.email, role: users.role, tier: users.tier, createdAt: users.createdAt, disabledAt: users.disabledAt })
      .from(users)
      .orderBy(asc(users.createdAt), asc(users.id));
  }
}
