import { randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, Tier, type RoleName, type TierName } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { users } from "./schema.ts";

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

/** One spelling per address: trimmed and lower-cased. */
function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class UserRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
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

  /** Every account, oldest first (an admin listing). */
  async list(): Promise<UserSummary[]> {
    return this.#db
      .select({ id: users.id, email: users.email, role: users.role, tier: users.tier, createdAt: users.createdAt })
      .from(users)
      .orderBy(asc(users.createdAt), asc(users.id));
  }
}
