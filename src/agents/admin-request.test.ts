import { describe, expect, it } from "vitest";
import { Role, Tier } from "../protocol/names.ts";
import { commandOfReading, readAdminCommand, type LlmAdminReading } from "./admin-request.ts";
import { classifyIntent } from "./intent-rules.ts";
import { Intent } from "./intent.ts";

describe("reading an administration command", () => {
  it("reads catalog lookups and price edits, with the reason when given", () => {
    expect(readAdminCommand("what does gpt-4o cost in the catalog?")).toEqual({ op: "catalog_lookup", model: "gpt-4o" });
    expect(readAdminCommand("show the catalog entry for claude-sonnet-4")).toEqual({ op: "catalog_lookup", model: "claude-sonnet-4" });
    expect(readAdminCommand("set the input price of gpt-4o to 2.75 per million tokens because the provider cut it")).toEqual({
      op: "catalog_price", model: "gpt-4o", field: "input_per_mtok", price: 2.75, reason: "the provider cut it",
    });
    expect(readAdminCommand("change the cache-read price of gpt-4o-mini to $0.05")).toEqual({
      op: "catalog_price", model: "gpt-4o-mini", field: "cache_read_per_mtok", price: 0.05, reason: null,
    });
  });

  it("reads account actions by email", () => {
    expect(readAdminCommand("list users")).toEqual({ op: "list_users" });
    expect(readAdminCommand("Show me all the accounts")).toEqual({ op: "list_users" });
    expect(readAdminCommand("make bob@example.com an admin")).toEqual({ op: "update_user", user: "bob@example.com", change: { role: Role.ADMIN } });
    expect(readAdminCommand("make bob@example.com a regular user")).toEqual({ op: "update_user", user: "bob@example.com", change: { role: Role.USER } });
    expect(readAdminCommand("move bob@example.com to the pro tier")).toEqual({ op: "update_user", user: "bob@example.com", change: { tier: Tier.PRO } });
    expect(readAdminCommand("disable bob@example.com")).toEqual({ op: "update_user", user: "bob@example.com", change: { disabled: true } });
    expect(readAdminCommand("re-enable the account of bob@example.com")).toEqual({ op: "update_user", user: "bob@example.com", change: { disabled: false } });
    expect(readAdminCommand("reset the API keys of bob@example.com")).toEqual({ op: "reset_api_keys", user: "bob@example.com" });
    expect(readAdminCommand("revoke bob@example.com's keys")).toEqual({ op: "reset_api_keys", user: "bob@example.com" });
  });

  it("leaves analysis requests alone, and the commands read as administration", () => {
    for (const text of ["what did gpt-4o cost last week?", "show me the top users", "show me the users who spent most", "where can I save money?", "describe dataset prod", "move the chat feature to gpt-4o-mini"]) {
      expect(readAdminCommand(text), text).toBeNull();
    }
    for (const text of ["list users", "what does gpt-4o cost in the catalog?", "move bob@example.com to the pro tier", "reset the API keys of bob@example.com"]) {
      expect(classifyIntent(text, { models: 1, hasEntities: true }).intent, text).toBe(Intent.ADMIN);
    }
  });
});

describe("an LLM's reading of an administration command", () => {
  const blank: LlmAdminReading = { op: "list_users", model: null, price_field: null, price_per_mtok: null, reason: null, user: null, role: null, tier: null, disabled: null };
  const text = "gpt-4o output should be 9 now, bob@example.com told me the provider raised it";

  it("becomes the same command, keeping only a reason and an account the request says", () => {
    const price = { ...blank, op: "catalog_price", model: "gpt-4o", price_field: "output_per_mtok", price_per_mtok: 9 } as const;
    expect(commandOfReading({ ...price, reason: "the provider raised it" }, text)).toEqual({ op: "catalog_price", model: "gpt-4o", field: "output_per_mtok", price: 9, reason: "the provider raised it" });
    expect(commandOfReading({ ...price, reason: "routine update" }, text)).toMatchObject({ reason: null });
    expect(commandOfReading({ ...blank, op: "update_user", user: "bob@example.com", tier: Tier.PRO }, text)).toEqual({ op: "update_user", user: "bob@example.com", change: { tier: Tier.PRO } });
    expect(commandOfReading({ ...blank, op: "reset_api_keys", user: "eve@example.com" }, text)).toBeNull();
    expect(commandOfReading({ ...blank, op: "update_user", user: "bob@example.com" }, text)).toBeNull();
    expect(commandOfReading({ ...price, price_per_mtok: null }, text)).toBeNull();
  });
});
