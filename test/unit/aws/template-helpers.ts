// Shared by the template tests in this folder (not a test file itself).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App, type CfnElement, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { expect } from "vitest";
import type { FunctionName, SignalsFunction } from "../../../infra/aws/constructs/signals-function.ts";
import { CommunitySignalsStack } from "../../../infra/aws/stack.ts";
import { type ConfigInput, parseConfig } from "../../../shared/model/config.ts";

/** Every functions/<name>/handler.ts the stack bundles; a missing folder fails the asset. */
export const STUB_HANDLERS: readonly FunctionName[] = ["ingest", "normalize", "digest", "export", "poll-discord", "poll-stackoverflow", "actions"];

const tempDirs: string[] = [];
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Call from afterAll in each test file. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Each function's asset folder must exist even when bundling is skipped, and functions/ is
 * not ours to write: build the stacks against a throwaway copy of the layout instead.
 */
export function fakeProjectRoot(handlerSource = "export const handler = async () => ({ ok: true });\n"): string {
  const root = tempDir("cs-cdk-root-");
  for (const name of STUB_HANDLERS) {
    mkdirSync(path.join(root, "functions", name), { recursive: true });
    writeFileSync(path.join(root, "functions", name, "handler.ts"), handlerSource);
  }
  writeFileSync(path.join(root, "package-lock.json"), "{}\n");
  return root;
}

/** A template-only app: no esbuild, no built-in CloudFormation schema check (both slow). */
export function synthStack(input: ConfigInput, projectRoot = fakeProjectRoot()) {
  const app = new App({
    context: { "aws:cdk:bundling-stacks": [] },
    outdir: tempDir("cs-cdk-out-"),
    builtinCloudFormationValidation: false,
  });
  const stack = new CommunitySignalsStack(app, "Signals", { config: parseConfig(input), projectRoot });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of an L2's resource, or of an L1 itself. */
export const logicalId = (construct: IConstruct): string =>
  Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
export const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
export const arnOf = (construct: IConstruct) => ({ "Fn::GetAtt": [logicalId(construct), "Arn"] });

export type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every statement of every policy attached to the role, plus its inline and managed policies. */
export function roleStatements(template: Template, role: IConstruct): Statement[] {
  const roleId = logicalId(role);
  const roleResource = template.toJSON().Resources[roleId];
  expect(roleResource?.Properties?.ManagedPolicyArns ?? []).toEqual([]);
  const inline = (roleResource?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  const attached = Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .map((policy) => policy.Properties as { PolicyDocument: { Statement: Statement[] } });
  return [...inline, ...attached].flatMap((p) => p.PolicyDocument.Statement);
}

export function allowedActions(template: Template, fn: SignalsFunction): string[] {
  const statements = roleStatements(template, fn.role);
  expect(statements.every((s) => s.Effect === "Allow")).toBe(true);
  return [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
}
