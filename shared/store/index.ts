export * from "./table.ts";
export * from "./store.ts";
export * from "./client.ts";
export * from "./create-table.ts";
