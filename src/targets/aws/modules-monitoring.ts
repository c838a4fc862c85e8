// The AWS module every alarm notifies through: one SNS topic per channel of the spec, so that a rule
// reaches exactly the channels it names. E-mail channels subscribe their addresses; Slack and Teams
// channels are AWS Chatbot ("Amazon Q Developer in chat applications") configurations on their topic,
// whose workspace, team and channel ids come from the `chat_channels` input (the one-time OAuth in
// the Chatbot console gives them: there is no API for it); webhook channels are HTTPS subscriptions
// whose URL is a sensitive input, never written into a file.
import { expr, tmpl, type Block } from "../../format/hcl.js";
import { data, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { assumeRole, KMS_VAR, policyDocument } from "./iam.js";

const CHANNEL_TYPES = '["email", "slack", "teams", "webhook"]';

const MONITORING_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  channels: {
    type: "map(object({ type = string, emails = list(string) }))",
    description:
      "Alert channels by name: type email, slack, teams or webhook, and an e-mail channel's addresses.",
    validations: [
      {
        condition: `alltrue([for c in values(var.channels) : contains(${CHANNEL_TYPES}, c.type)])`,
        error_message: "channel types must be email, slack, teams or webhook.",
      },
    ],
  },
  chat_channels: {
    type: "map(object({ team_id = string, channel_id = string, tenant_id = optional(string) }))",
    description:
      "Per Slack or Teams channel: the Slack workspace (team) id and channel id, or the Teams team, channel and tenant ids, as the AWS Chatbot console shows them after its one-time authorisation.",
    default: {},
  },
  webhook_urls: {
    type: "map(string)",
    description: "Per webhook channel: the HTTPS URL SNS posts to (a secret).",
    default: {},
    sensitive: true,
  },
  availability_topic_arn: {
    type: "string",
    description:
      "The availability alarms' topic in us-east-1, which the Slack and Teams configurations subscribe as well (null: none).",
    default: null,
  },
  kms_key_arn: KMS_VAR,
};

const OF_TYPE = (t: string) => `{ for k, c in var.channels : k => c if c.type == "${t}" }`;
const CHAT = `{ for k, c in var.channels : k => c if contains(["slack", "teams"], c.type) }`;
/** Chatbot assumes this role to read the alarm behind a notification; channel members get no more. */
const READ_ONLY = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess";

export function monitoringModule(): ModuleSpec {
  return {
    name: "monitoring",
    summary:
      "One SNS topic per alert channel, with e-mail subscriptions, AWS Chatbot Slack and Teams configurations, and HTTPS webhook subscriptions.",
    variables: MONITORING_VARS,
    main: [...topics(), ...subscriptions(), ...chatbot()],
    outputs: [
      output(
        "topic_arns",
        expr("{ for k, t in aws_sns_topic.channel : k => t.arn }"),
        "SNS topic of each channel: an alarm notifies the topics of its rule's channels.",
      ),
    ],
  };
}

/** A topic per channel that only this account's alarms and budgets may publish to. */
function topics(): Block[] {
  return [
    resource("aws_sns_topic", "channel", {
      for_each: v("channels"),
      name: tmpl("${var.name}-alerts-${each.key}"),
      kms_master_key_id: v("kms_key_arn"),
    }),
    data("aws_caller_identity", "current", {}),
    policyDocument(
      "publish",
      [
        {
          sid: "AlarmsAndBudgetsPublish",
          actions: ["sns:Publish"],
          resources: [expr("each.value.arn")],
          principals: { type: "Service", identifiers: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] },
          conditions: [
            {
              test: "StringEquals",
              variable: "aws:SourceAccount",
              values: [expr("data.aws_caller_identity.current.account_id")],
            },
          ],
        },
      ],
      { for_each: expr("aws_sns_topic.channel") },
    ),
    resource("aws_sns_topic_policy", "channel", {
      for_each: expr("aws_sns_topic.channel"),
      arn: expr("each.value.arn"),
      policy: expr("data.aws_iam_policy_document.publish[each.key].json"),
    }),
  ];
}

/** Each address of each e-mail channel (confirmed once by e-mail), and each webhook's URL. */
function subscriptions(): Block[] {
  return [
    resource("aws_sns_topic_subscription", "email", {
      for_each: expr(
        '{ for s in flatten([for k, c in var.channels : [for e in c.emails : { channel = k, email = e }] if c.type == "email"]) : "${s.channel}/${s.email}" => s }',
      ),
      topic_arn: expr("aws_sns_topic.channel[each.value.channel].arn"),
      protocol: "email",
      endpoint: expr("each.value.email"),
    }),
    // The receiver confirms the subscription by fetching the SubscribeURL of SNS's first request.
    resource("aws_sns_topic_subscription", "webhook", {
      for_each: expr(OF_TYPE("webhook")),
      topic_arn: expr("aws_sns_topic.channel[each.key].arn"),
      protocol: "https",
      endpoint: expr("var.webhook_urls[each.key]"),
    }),
  ];
}

/** The Chatbot role and one channel configuration per Slack and Teams channel. */
function chatbot(): Block[] {
  const common = {
    configuration_name: tmpl("${var.name}-${each.key}"),
    iam_role_arn: expr("aws_iam_role.chatbot[0].arn"),
    // Chatbot takes topics of any region: the availability alarms' topic is in us-east-1.
    sns_topic_arns: expr(
      "var.availability_topic_arn == null ? [aws_sns_topic.channel[each.key].arn] : [aws_sns_topic.channel[each.key].arn, var.availability_topic_arn]",
    ),
    // Without guardrails Chatbot applies AdministratorAccess to what channel members may run.
    guardrail_policy_arns: [READ_ONLY],
    logging_level: "ERROR",
  };
  return [
    assumeRole("chatbot", "chatbot.amazonaws.com"),
    resource("aws_iam_role", "chatbot", {
      count: expr(`length(${CHAT}) > 0 ? 1 : 0`),
      name: tmpl("${var.name}-chatbot"),
      assume_role_policy: expr("data.aws_iam_policy_document.chatbot.json"),
    }),
    resource("aws_iam_role_policy_attachment", "chatbot", {
      count: expr(`length(${CHAT}) > 0 ? 1 : 0`),
      role: expr("aws_iam_role.chatbot[0].name"),
      policy_arn: READ_ONLY,
    }),
    resource("aws_chatbot_slack_channel_configuration", "this", {
      for_each: expr(OF_TYPE("slack")),
      ...common,
      slack_team_id: expr("var.chat_channels[each.key].team_id"),
      slack_channel_id: expr("var.chat_channels[each.key].channel_id"),
    }),
    resource("aws_chatbot_teams_channel_configuration", "this", {
      for_each: expr(OF_TYPE("teams")),
      ...common,
      team_id: expr("var.chat_channels[each.key].team_id"),
      channel_id: expr("var.chat_channels[each.key].channel_id"),
      tenant_id: expr("var.chat_channels[each.key].tenant_id"),
    }),
  ];
}
