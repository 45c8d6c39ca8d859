import { z } from "zod";

// The server's Content-Security-Policy allows no eval: zod would probe `new Function` to compile its parsers, and a
// strict CSP reports that probe as a violation even though zod catches it. Imported first by main.tsx, so the setting
// holds before any schema parses.
z.config({ jitless: true });
