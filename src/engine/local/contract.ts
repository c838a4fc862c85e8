// Where each variable of the contract gets its value under `gantry up`, for `gantry env`.
import type { Variable } from "../../model/bindings.js";
import type { ContractSupport } from "../../model/contract-support.js";
import { PUBSUB_COMPONENT } from "../../model/bindings.js";
import { localVariables } from "./env.js";

function origin(v: Variable): string {
  const b = v.binding;
  switch (b.kind) {
    case "postgres":
      return "PostgreSQL on 127.0.0.1";
    case "redis":
      return "Redis on 127.0.0.1";
    case "bucket":
      return b.part === "url" ? `folder .gantry/<env>/buckets/${b.resource}` : "the bucket's name";
    case "template":
      return "composed from the values here";
    case "secret":
      return "gantry secrets set";
    case "literal":
      return "the spec";
    case "port":
      return "a free port per instance";
    case "listen-address":
      return "127.0.0.1, behind the proxy";
    case "pubsub-name":
      return `"${PUBSUB_COMPONENT}" (Gantry's pub/sub)`;
    case "pubsub-port":
      return "Gantry's pub/sub endpoint";
    case "email-domain":
      return "the spec (no mail is sent)";
    case "environment-name":
    case "service-name":
      return "the spec";
  }
}

export const localContract: ContractSupport = {
  origin: (_app, _w, v) => origin(v),
  platformVariables: (_app, w) => localVariables(w),
};
