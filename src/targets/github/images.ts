// What build.yml builds once for every environment: an image per service with a `build`, and on
// platforms whose pods serve static sites an image per static frontend. A service may exist in some
// environments only, so these are the services of every environment. One image serves every
// environment: where environments build a service differently, the first environment's way is the
// one built, and `synth github` says so at the service.
import type { AnyServiceModel, ProjectModel, StaticModel } from "../../model/types.js";
import { isStatic, isWorkload } from "../../model/queries.js";
import type { TargetProblem } from "../target.js";

/** Every service of any environment, as the first environment that has it defines it, in spec order. */
export function allServices(project: ProjectModel): AnyServiceModel[] {
  const out = new Map<string, AnyServiceModel>();
  for (const m of project.environments)
    for (const s of Object.values(m.services)) if (!out.has(s.name)) out.set(s.name, s);
  return [...out.values()];
}

/** What goes into a service's image, as text to compare: its build, or a static site's whole build. */
function imageInputs(s: AnyServiceModel, staticImages: boolean): string | undefined {
  if (isWorkload(s)) return s.build ? JSON.stringify(s.build) : undefined;
  if (!staticImages) return undefined;
  // env is not compared: a site built with env gets an image per environment (staticImageName).
  const { static: source, install, build, output, spa } = s;
  return JSON.stringify({ source, install, build, output, spa });
}

/**
 * A static frontend's image: the build bakes `env` into the site (an API URL), so a site with env gets
 * an image per environment, `<service>-<environment>`, built with that environment's env.
 */
export const staticImageName = (s: StaticModel, environment: string): string =>
  Object.keys(s.env).length ? `${s.name}-${environment}` : s.name;

/** A static frontend's image and the service as the (first) environment that builds it defines it. */
export interface StaticImage {
  image: string;
  service: StaticModel;
}

/** The static images build.yml builds, in spec order, each with the env of an environment that uses it. */
export function builtStaticImages(project: ProjectModel, staticImages: boolean): StaticImage[] {
  const built = new Set(builtServices(project, staticImages).map((s) => s.name));
  const out = new Map<string, StaticImage>();
  for (const m of project.environments)
    for (const s of Object.values(m.services).filter(isStatic)) {
      const image = staticImageName(s, m.environment.name);
      if (built.has(s.name) && !out.has(image)) out.set(image, { image, service: s });
    }
  return [...out.values()];
}

/** The services whose image build.yml builds: a `build` in some environment (or a static site). */
export function builtServices(project: ProjectModel, staticImages: boolean): AnyServiceModel[] {
  const out = new Map<string, AnyServiceModel>();
  for (const m of project.environments)
    for (const s of Object.values(m.services))
      if (!out.has(s.name) && imageInputs(s, staticImages) !== undefined) out.set(s.name, s);
  return [...out.values()];
}

/** A warning at each environment that builds a service differently from the one whose image is built. */
export function imageProblems(project: ProjectModel, staticImages: boolean): TargetProblem[] {
  const built = new Map(builtServices(project, staticImages).map((s) => [s.name, s]));
  const statics = new Map(builtStaticImages(project, staticImages).map((i) => [i.image, i.service]));
  const problems: TargetProblem[] = [];
  for (const m of project.environments) {
    for (const s of Object.values(m.services)) {
      const first = isStatic(s) ? statics.get(staticImageName(s, m.environment.name)) : built.get(s.name);
      const own = imageInputs(s, staticImages);
      if (!first || own === undefined || own === imageInputs(first, staticImages)) continue;
      const what = isStatic(s) ? "its build settings" : "its build";
      problems.push({
        env: m.environment.name,
        severity: "warning",
        path: `services.${s.name}.build`,
        message: `build.yml builds one image of ${s.name} for every environment, as the first environment that has it builds it: ${what} here are not used`,
        hint: isStatic(s)
          ? "give every environment the same build settings, and read what differs at run time (such as a config.json the site fetches)"
          : "build the same image in every environment; set what differs with env",
      });
    }
  }
  return problems;
}
