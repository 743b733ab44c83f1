// CDK entry point (cdk.json "app"): `npm run synth`, `cdk deploy -c config=path/to/config.json`.
import { Annotations, App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { CommunitySignalsStack, loadStackConfig } from "./stack.ts";

const app = new App();

const configContext: unknown = app.node.tryGetContext("config");
const stackNameContext: unknown = app.node.tryGetContext("stackName");
const { config, fromFile } = loadStackConfig(typeof configContext === "string" ? configContext : undefined);

const stack = new CommunitySignalsStack(app, typeof stackNameContext === "string" ? stackNameContext : "CommunitySignals", {
  config,
});
if (!fromFile) {
  Annotations.of(stack).addWarningV2(
    "community-signals:defaultConfig",
    "community-signals.config.json not found: synthesized with the schema defaults (digest from community-signals@example.com, no recipients).",
  );
}

// Synthesis fails on any finding that is not acknowledged with a reason next to its resource.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
