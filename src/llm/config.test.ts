import { describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { llmConfigFromEnv, parseLlmConfig } from "./config.ts";

function configError(run: () => unknown): ApexError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApexError);
    expect((error as ApexError).code).toBe(ErrorCode.INVALID_CONFIG);
    return error as ApexError;
  }
  throw new Error("expected an invalid_config error");
}

describe("llmConfigFromEnv", () => {
  it("defaults to offline when nothing is set, and treats empty variables as unset", () => {
    expect(llmConfigFromEnv({})).toEqual({ provider: "offline" });
    expect(llmConfigFromEnv({ [EnvVar.LLM_PROVIDER]: "", [EnvVar.LLM_API_KEY]: "  " })).toEqual({ provider: "offline" });
  });

  it("reads every variable for an OpenAI-compatible endpoint", () => {
    const config = llmConfigFromEnv({
      [EnvVar.LLM_PROVIDER]: "OpenAI",
      [EnvVar.LLM_BASE_URL]: "http://127.0.0.1:11434/v1",
      [EnvVar.LLM_MODEL]: "llama3.2",
    });
    expect(config).toEqual({ provider: "openai", baseURL: "http://127.0.0.1:11434/v1", model: "llama3.2" });
  });

  it("an unknown provider names the variable, the value and the choices", () => {
    const error = configError(() => llmConfigFromEnv({ [EnvVar.LLM_PROVIDER]: "gemini" }));
    expect(error.message).toContain(EnvVar.LLM_PROVIDER);
    expect(error.message).toContain('"gemini"');
    expect(error.message).toContain("offline, openai, anthropic");
  });

  it("a provider without a model, or anthropic without a key, says which variables to set", () => {
    const error = configError(() => llmConfigFromEnv({ [EnvVar.LLM_PROVIDER]: "anthropic" }));
    expect(error.message).toContain(EnvVar.LLM_MODEL);
    expect(error.message).toContain(EnvVar.LLM_API_KEY);
  });

  it("api.openai.com needs a key; a local base URL does not", () => {
    const error = configError(() => llmConfigFromEnv({ [EnvVar.LLM_PROVIDER]: "openai", [EnvVar.LLM_MODEL]: "gpt-4o-mini" }));
    expect(error.message).toContain(EnvVar.LLM_API_KEY);
  });

  it("a base URL that is not http(s) is refused, without echoing it", () => {
    const error = configError(() =>
      llmConfigFromEnv({
        [EnvVar.LLM_PROVIDER]: "openai",
        [EnvVar.LLM_MODEL]: "m",
        [EnvVar.LLM_BASE_URL]: "ftp://user:secret@host/v1",
      }),
    );
    expect(error.message).toContain(EnvVar.LLM_BASE_URL);
    expect(error.message).not.toContain("secret");
  });

  it("never puts the API key in an error", () => {
    const error = configError(() =>
      llmConfigFromEnv({ [EnvVar.LLM_PROVIDER]: "anthropic", [EnvVar.LLM_API_KEY]: "sk-ant-api03-verysecret" }),
    );
    expect(error.message).not.toContain("verysecret");
  });
});

describe("parseLlmConfig", () => {
  it("validates a config object from a file the same way", () => {
    expect(parseLlmConfig({ provider: "anthropic", apiKey: "k", model: "claude-sonnet-5-5" })).toMatchObject({ provider: "anthropic" });
    expect(() => parseLlmConfig({ provider: 7 })).toThrow(ApexError);
  });
});
