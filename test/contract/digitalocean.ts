// What the app's containers get on DigitalOcean: the app runs on DOKS from the Kubernetes chart, so
// the names are those of the chart's manifests; the DigitalOcean tree fills keys of its Secret only.
export { kubernetes as digitalocean } from "./kubernetes.js";
