// Validates 5-field cron expressions as Kubernetes CronJobs, EventBridge and App Service read them,
// and the IANA time zone they are read in.

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

/** Returns why `expr` is not a valid cron expression, or undefined when it is. */
export function cronProblem(expr: string): string | undefined {
  const e = expr.trim();
  if (MACROS.has(e)) return undefined;
  const parts = e.split(/\s+/);
  if (parts.length !== 5) {
    return `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}`;
  }
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i]!;
    const names: readonly string[] = "names" in f ? f.names : [];
    const value = (tok: string): number | undefined => {
      const idx = names.indexOf(tok.toLowerCase());
      if (idx >= 0) return idx + (f.min === 1 ? 1 : 0);
      return /^\d+$/.test(tok) ? Number(tok) : undefined;
    };
    for (const item of parts[i]!.split(",")) {
      const [range, step, extra] = item.split("/");
      if (extra !== undefined || range === undefined || range === "")
        return `the ${f.name} field "${parts[i]}" is not valid`;
      if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0))
        return `the step "/${step}" in the ${f.name} field must be a positive number`;
      if (range === "*") continue;
      const bounds = range.split("-");
      if (bounds.length > 2) return `the ${f.name} field "${parts[i]}" is not valid`;
      const nums = bounds.map(value);
      for (let j = 0; j < nums.length; j++) {
        const n = nums[j];
        if (n === undefined) return `the ${f.name} field "${parts[i]}" is not valid`;
        if (n < f.min || n > f.max) return `the ${f.name} ${n} is out of range (${f.min}-${f.max})`;
      }
      if (nums.length === 2 && nums[0]! > nums[1]!) return `the ${f.name} range ${range} runs backwards`;
    }
  }
  return undefined;
}

/** Why `timeZone` is not an IANA time zone the runtime knows, or undefined when it is. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return undefined;
  } catch {
    return `unknown time zone "${timeZone}" (use an IANA name such as Europe/Paris, or UTC)`;
  }
}
