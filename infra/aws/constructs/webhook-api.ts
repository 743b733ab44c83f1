import { Duration, Validations } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, PayloadFormatVersion } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

export interface WebhookApiProps {
  ingest: IFunction;
  /** The digest's action links (`/actions/{action}`); absent when actions are off. */
  actions?: IFunction;
  /** Steady requests per second before API Gateway answers 429. */
  rateLimit: number;
  burstLimit: number;
  logRetention: RetentionDays;
}

/**
 * The public front door: an HTTP API with exactly the webhook, health and action routes. Anything else gets 404 from
 * API Gateway without invoking (or paying for) the function, and the stage throttle caps
 * what a flood can cost before Lambda concurrency is touched.
 */
export class WebhookApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, "Api", {
      description: "community-signals webhooks",
      createDefaultStage: false,
    });

    const integration = new HttpLambdaIntegration("Ingest", props.ingest, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      // Platforms give up after about 10 s (GitHub) and redeliver; no point waiting longer.
      timeout: Duration.seconds(10),
    });
    const routes = [
      ...this.api.addRoutes({ path: "/webhooks/{source}", methods: [HttpMethod.POST], integration }),
      ...this.api.addRoutes({ path: "/health", methods: [HttpMethod.GET], integration }),
    ];
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: "AwsSolutions-APIG4",
        reason:
          "Webhook senders cannot sign requests with IAM or present JWTs; the ingest function authenticates every " +
          "webhook by the platform's HMAC signature over the raw body (401 otherwise), and /health reveals nothing.",
      });
    }
    if (props.actions) {
      const actions = new HttpLambdaIntegration("Actions", props.actions, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 });
      // GET shows a confirmation page (mail scanners prefetch links); only the POST changes anything.
      for (const route of this.api.addRoutes({ path: "/actions/{action}", methods: [HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST], integration: actions })) {
        Validations.of(route).acknowledge({
          id: "AwsSolutions-APIG4",
          reason:
            "Action links are opened from an email by people without AWS credentials; each link is authorised by its own " +
            "HMAC signature and expiry (403 otherwise), checked by the actions function.",
        });
      }
    }

    this.accessLogs = new LogGroup(this, "AccessLogs", { retention: props.logRetention });
    this.stage = new HttpStage(this, "DefaultStage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // Request metadata only: HTTP API access logs never contain bodies or signature headers.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            ip: "$context.identity.sourceIp",
            requestTime: "$context.requestTime",
            routeKey: "$context.routeKey",
            status: "$context.status",
            responseLength: "$context.responseLength",
            latency: "$context.responseLatency",
            integrationError: "$context.integrationErrorMessage",
            userAgent: "$context.identity.userAgent",
          }),
        ),
      },
    });
  }

  /** The public base URL, ending in a slash. */
  get url(): string {
    return this.stage.url;
  }
}
