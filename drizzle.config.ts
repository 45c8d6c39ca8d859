import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate` turns src/store/schema.ts into the SQL migrations committed in src/store/migrations/,
// which openDatabase applies at start-up on PGlite and PostgreSQL alike.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema.ts",
  out: "./src/store/migrations",
});
