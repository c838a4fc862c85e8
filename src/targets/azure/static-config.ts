// The routing file of a single-page static frontend on Static Web Apps: staticwebapp.config.json at the
// root of the uploaded site, with a navigation fallback to index.html so that a client-side route
// (/auctions/42) reloads the app instead of answering 404. Schema: learn.microsoft.com/azure/
// static-web-apps/configuration ("Fallback routes": rewrite, exclude). The pipeline copies the file
// into the built site before the upload (./pipeline-appservice.ts).
import type { ProjectModel } from "../../model/types.js";
import { isStatic } from "../../model/queries.js";

/** Where the Azure tree holds a site's routing file, relative to its output folder. */
export const staticConfigPath = (site: string): string => `static/${site}/staticwebapp.config.json`;

/** The static frontends that are single-page apps in some environment, sorted. */
export function spaSites(project: ProjectModel): string[] {
  const names = new Set<string>();
  for (const m of project.environments)
    for (const s of Object.values(m.services)) if (isStatic(s) && s.spa) names.add(s.name);
  return [...names].sort();
}

/** The file's text: files that exist are served as they are; other paths get index.html, assets excepted. */
export function staticWebAppConfig(): string {
  const config = {
    navigationFallback: {
      rewrite: "/index.html",
      // A missing script or image answers 404, not the app's HTML.
      exclude: ["/*.{css,js,mjs,map,json,txt,xml,png,jpg,jpeg,gif,svg,ico,webp,avif,woff,woff2}"],
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
