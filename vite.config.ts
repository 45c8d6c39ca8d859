import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { RoutePath } from "./src/protocol/names.ts";

// The web UI: sources in src/web/, built to dist/web/ (served by `apex serve`). `vite` and `vite preview` proxy the API
// and the socket to an `apex serve --port 3999` started beside them.
const api = "http://127.0.0.1:3999";
const proxy = { "/api": api, [RoutePath.WS]: { target: api.replace(/^http/, "ws"), ws: true } };

export default defineConfig({
  root: "src/web",
  plugins: [react()],
  build: { outDir: "../../dist/web", emptyOutDir: true },
  server: { proxy },
  preview: { proxy },
});
