export * from "./activity.ts";
export * from "./thread.ts";
export * from "./envelope.ts";
export * from "./config.ts";
export * from "./digest.ts";
