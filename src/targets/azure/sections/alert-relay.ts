// The alert relay of the Slack and Teams channels (modules/alert-relay.ts): deployed in every
// environment when any has such a channel, given the channels' webhook URLs (secure parameters), and
// each chat channel's action group posts to its route, /api/relay/<channel>, with a function key that
// main.bicep lists at deployment (never an output, never in a file).
import { call, member, str, type BicepExprNode } from "../../../format/bicep.js";
import { RELAY_FUNCTION } from "../alert-relay-code.js";
import { RELAY_KEYS_API } from "../modules/alert-relay.js";
import type { Ctx } from "./context.js";
import { callModule, outputOf, type EnvParam } from "./part.js";

/** A channel told through a webhook URL: Slack and Teams ones go through the relay. */
export interface ChatChannel {
  channel: string;
  kind: "slack" | "teams" | "webhook";
  url: EnvParam;
}

/** `func-<app>-alerts-<env code>-<suffix>`: the Function App of the relay (the runbooks name it). */
const relayAppName = (c: Ctx): BicepExprNode => str`func-${c.appSlug}-alerts-${c.code}-${c.suffix}`;

export function alertRelay(
  c: Ctx,
  chats: ChatChannel[],
): { modules: ReturnType<typeof callModule>[]; receivers: [string, BicepExprNode][] } {
  if (!chats.length) return { modules: [], receivers: [] };
  const relay = callModule("alertRelay", "alert-relay", "Posts the alerts of Slack and Teams channels.", {
    name: relayAppName(c),
    // st + al(ert relay) + app (8) + environment code (6) + suffix (6): at most 24 characters.
    storageName: str`stal${c.appAlnum}${c.code}${c.suffix}`,
    location: c.location,
    tags: c.tags,
    channels: Object.fromEntries(chats.map((ch) => [ch.channel, { kind: ch.kind, url: ch.url.ref }])),
  });
  // The host's default function key (Microsoft.Web/sites/host/default, listKeys): the trigger's `code`.
  const key = member(
    call("listKeys", str`${outputOf("alertRelay", "id")}/host/default`, RELAY_KEYS_API),
    "functionKeys",
    "default",
  );
  return {
    modules: [relay],
    receivers: chats.map((ch) => [
      ch.channel,
      str`https://${outputOf("alertRelay", "hostName")}/api/${RELAY_FUNCTION}/${ch.channel}?code=${key}`,
    ]),
  };
}
