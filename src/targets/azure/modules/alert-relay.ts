// The alert relay of Slack and Teams channels: Azure Monitor's action groups have no chat receiver,
// and an incoming webhook of Slack or Teams does not accept the common alert schema an action group's
// webhook posts. So the chat channels' groups post to one HTTP function (../alert-relay-code.ts) that
// turns the alert into the chat's message and posts it to the channel's webhook URL.
//
// Why a Function App and not the Logic Apps workflow Azure's guide shows: Microsoft.Logic is not in
// the Azure type data Gantry checks every resource against (../../../validate/bicep-types.ts), while
// Microsoft.Web/sites/functions is, with its `files` property (learn.microsoft.com/azure/templates/
// microsoft.web/sites/functions) that deploys the function's code with the template. A Windows
// Consumption plan (Y1, Dynamic: nothing runs and nothing is billed between alerts) and its storage
// account follow Azure-Samples/function-app-arm-templates (function-app-windows-consumption).
import {
  call,
  index,
  member,
  method,
  ref,
  str,
  type BicepFile,
  type BicepResource,
} from "../../../format/bicep.js";
import { API } from "../api.js";
import { RELAY_CODE_FROM_MODULE, RELAY_FUNCTION, RELAY_ROUTE } from "../alert-relay-code.js";
import { LOCATION, TAGS, file, keyAccessStorage, location, out, p, res, tags } from "./kit.js";

export function alertRelayModule(): BicepFile {
  // Functions keeps its host state and the function's files in this account, reached with its key:
  // the Consumption plan's content share (WEBSITE_CONTENTAZUREFILECONNECTIONSTRING) takes no identity.
  const storage = str`DefaultEndpointsProtocol=https;AccountName=${ref("storageName")};EndpointSuffix=${member(call("environment"), "suffixes", "storage")};AccountKey=${member(index(member(method("storage", "listKeys"), "keys"), 0), "value")}`;
  return file(
    "Alert relay: a function that posts Azure Monitor alerts to the Slack and Teams channels' webhooks.",
    {
      params: [
        p("name", "string", "Name of the Function App (globally unique).", { minLength: 2, maxLength: 60 }),
        p("storageName", "string", "Name of its storage account (globally unique).", {
          minLength: 3,
          maxLength: 24,
        }),
        LOCATION,
        TAGS,
        p(
          "channels",
          "object",
          "The chat channels by name: {kind: 'slack' or 'teams', url}; the URLs are secrets.",
          { secure: true },
        ),
      ],
      vars: [],
      resources: [
        // The Functions host reads its content share with the account key (see above).
        keyAccessStorage("storage", "storageName", ["blob", "file"]),
        res("plan", "plan", {
          name: ref("name"),
          location,
          tags,
          sku: { name: "Y1", tier: "Dynamic" },
          properties: { reserved: false },
        }),
        res("site", "site", {
          name: ref("name"),
          location,
          tags,
          kind: "functionapp",
          // The relay needs no role: the identity is there because checkov (CKV_AZURE_16, CKV_AZURE_71)
          // asks every site for one, and so that a setting can become a Key Vault reference later.
          identity: { type: "SystemAssigned" },
          properties: {
            serverFarmId: member(ref("plan"), "id"),
            httpsOnly: true,
            clientCertEnabled: false,
            publicNetworkAccess: "Enabled",
            siteConfig: {
              minTlsVersion: "1.2",
              scmMinTlsVersion: "1.2",
              ftpsState: "Disabled",
              http20Enabled: true,
              remoteDebuggingEnabled: false,
              appSettings: [
                { name: "AzureWebJobsStorage", value: storage },
                { name: "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", value: storage },
                { name: "WEBSITE_CONTENTSHARE", value: call("toLower", ref("name")) },
                { name: "FUNCTIONS_EXTENSION_VERSION", value: "~4" },
                { name: "FUNCTIONS_WORKER_RUNTIME", value: "node" },
                // Node.js 20 has fetch(), which the relay posts with.
                { name: "WEBSITE_NODE_DEFAULT_VERSION", value: "~20" },
                { name: "ALERT_CHANNELS", value: call("string", ref("channels")) },
              ],
            },
          },
        }),
        relayFunction(),
      ],
      modules: [],
      outputs: [
        out("id", "Resource id of the Function App.", member(ref("site"), "id")),
        out(
          "hostName",
          "Host name of the Function App.",
          member(ref("site"), "properties", "defaultHostName"),
        ),
      ],
    },
  );
}

/** The HTTP function, its code loaded from alert-relay/index.js (Microsoft.Web/sites/functions `files`). */
const relayFunction = (): BicepResource =>
  res(
    "relay",
    "siteFunction",
    {
      name: RELAY_FUNCTION,
      properties: {
        // function.json of the Node.js model: an HTTP trigger with a function key, and its answer.
        config: {
          bindings: [
            {
              type: "httpTrigger",
              direction: "in",
              name: "req",
              authLevel: "function",
              methods: ["post"],
              route: RELAY_ROUTE,
            },
            { type: "http", direction: "out", name: "res" },
          ],
        },
        files: { "index.js": call("loadTextContent", RELAY_CODE_FROM_MODULE) },
      },
    },
    { parent: "site" },
  );

/** The API version main.bicep lists the relay's function keys with. */
export const RELAY_KEYS_API = API.site[1];
