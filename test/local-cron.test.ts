// nextRun: when a scheduled job runs next, with Vixie-cron semantics and IANA time zones, including
// the two DST rules (a skipped time runs at the end of the gap; a repeated time runs once).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatWall, nextRun, timeZoneProblem } from "../src/engine/local/cron-next.js";
import { parseCron } from "../src/model/schedule.js";

/** The next `n` runs after `from`, as ISO strings. */
function runs(expr: string, from: string, n = 1, tz = "UTC"): string[] {
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < n; i++) {
    const next = nextRun(expr, t, tz);
    assert.ok(next, `${expr} has a run after ${t.toISOString()}`);
    out.push(next.toISOString());
    t = next;
  }
  return out;
}

const iso = (s: string) => `${s}:00.000Z`;

describe("nextRun: fields", () => {
  it("is strictly after the given time", () => {
    assert.deepEqual(runs("*/15 * * * *", "2026-11-22T10:07:30Z"), [iso("2026-11-22T10:15")]);
    assert.deepEqual(runs("*/15 * * * *", "2026-11-22T10:15:00Z"), [iso("2026-11-22T10:30")]);
    assert.deepEqual(runs("* * * * *", "2026-11-22T23:59:59.999Z"), [iso("2026-11-23T00:00")]);
  });

  it("reads lists, ranges and steps", () => {
    assert.deepEqual(runs("5,10 * * * *", "2026-11-22T10:07:00Z", 3), [
      iso("2026-11-22T10:10"),
      iso("2026-11-22T11:05"),
      iso("2026-11-22T11:10"),
    ]);
    assert.deepEqual(runs("0 0-23/6 * * *", "2026-11-22T01:00:00Z", 4), [
      iso("2026-11-22T06:00"),
      iso("2026-11-22T12:00"),
      iso("2026-11-22T18:00"),
      iso("2026-11-23T00:00"),
    ]);
    // "5/20" is 5-59/20, as in Vixie cron.
    assert.deepEqual(runs("5/20 * * * *", "2026-11-22T10:00:00Z", 4), [
      iso("2026-11-22T10:05"),
      iso("2026-11-22T10:25"),
      iso("2026-11-22T10:45"),
      iso("2026-11-22T11:05"),
    ]);
    assert.deepEqual(runs("0 1-3,22 * * *", "2026-11-22T03:00:00Z", 2), [
      iso("2026-11-22T22:00"),
      iso("2026-11-23T01:00"),
    ]);
  });

  it("runs working hours on weekdays: from Friday evening to Monday morning", () => {
    // 2026-11-27 is a Friday.
    assert.deepEqual(runs("0 9-17 * * 1-5", "2026-11-27T17:00:00Z"), [iso("2026-11-30T09:00")]);
  });

  it("reads month and day names, in any case, and 7 as Sunday", () => {
    const sunday = iso("2026-11-29T00:00");
    for (const dow of ["0", "7", "sun", "SUN", "Sun"])
      assert.deepEqual(runs(`0 0 * * ${dow}`, "2026-11-23T00:00:00Z"), [sunday], dow);
    assert.deepEqual(runs("0 0 * * 5-7", "2026-11-23T00:00:00Z", 3), [
      iso("2026-11-27T00:00"),
      iso("2026-11-28T00:00"),
      iso("2026-11-29T00:00"),
    ]);
    assert.deepEqual(runs("0 12 1 jan,JUL *", "2026-11-22T00:00:00Z", 2), [
      iso("2027-01-01T12:00"),
      iso("2027-07-01T12:00"),
    ]);
    assert.deepEqual(runs("0 0 1 mar-may/2 *", "2026-11-22T00:00:00Z", 2), [
      iso("2027-03-01T00:00"),
      iso("2027-05-01T00:00"),
    ]);
  });

  it("expands the macros", () => {
    const from = "2026-11-22T10:30:00Z"; // a Sunday
    assert.deepEqual(runs("@hourly", from), [iso("2026-11-22T11:00")]);
    assert.deepEqual(runs("@daily", from), [iso("2026-11-23T00:00")]);
    assert.deepEqual(runs("@midnight", from), [iso("2026-11-23T00:00")]);
    assert.deepEqual(runs("@weekly", from), [iso("2026-11-29T00:00")]);
    assert.deepEqual(runs("@monthly", from), [iso("2026-12-01T00:00")]);
    assert.deepEqual(runs("@yearly", from), [iso("2027-01-01T00:00")]);
    assert.deepEqual(runs("@annually", from), [iso("2027-01-01T00:00")]);
  });

  it("matches a day when EITHER day field matches, when both are restricted", () => {
    // The 13th, or any Friday: Fridays 27 Nov, 4 and 11 Dec, then Sunday the 13th, then Friday 18 Dec.
    assert.deepEqual(runs("0 0 13 * 5", "2026-11-22T00:00:00Z", 5), [
      iso("2026-11-27T00:00"),
      iso("2026-12-04T00:00"),
      iso("2026-12-11T00:00"),
      iso("2026-12-13T00:00"),
      iso("2026-12-18T00:00"),
    ]);
  });

  it("matches a day when BOTH match when a day field starts with * (Vixie cron), even with a step", () => {
    // Odd days of the month that are also Mondays: 23 Nov 2026, 7 Dec, 21 Dec (not Monday 30 Nov).
    assert.deepEqual(runs("0 0 */2 * mon", "2026-11-22T00:00:00Z", 3), [
      iso("2026-11-23T00:00"),
      iso("2026-12-07T00:00"),
      iso("2026-12-21T00:00"),
    ]);
    // Only Mondays when the day of month is *.
    assert.deepEqual(runs("0 0 * * 1", "2026-11-22T00:00:00Z"), [iso("2026-11-23T00:00")]);
  });

  it("skips months without the day, finds a leap day years away, and says never for an impossible date", () => {
    assert.deepEqual(runs("0 0 31 * *", "2026-11-01T00:00:00Z", 2), [
      iso("2026-12-31T00:00"),
      iso("2027-01-31T00:00"),
    ]);
    assert.deepEqual(runs("0 0 29 2 *", "2026-11-22T00:00:00Z"), [iso("2028-02-29T00:00")]);
    assert.deepEqual(runs("0 0 29 2 *", "2096-03-01T00:00:00Z"), [iso("2104-02-29T00:00")]);
    // Both day fields restricted by a step that starts with "*": AND-ed, and decades apart.
    assert.deepEqual(runs("0 0 29 2 */7", "2033-01-01T00:00:00Z"), [iso("2060-02-29T00:00")]);
    assert.equal(nextRun("0 0 30 2 *", new Date("2026-11-22T00:00:00Z"), "UTC"), undefined);
  });

  it("refuses what the validator refuses, and unknown time zones", () => {
    assert.throws(() => nextRun("61 * * * *", new Date(), "UTC"), /invalid cron expression.*out of range/);
    assert.throws(() => nextRun("* * * *", new Date(), "UTC"), /has 5 fields/);
    assert.throws(() => nextRun("@reboot", new Date(), "UTC"), /invalid cron expression/);
    assert.throws(
      () => nextRun("* * * * *", new Date(), "Mars/Olympus"),
      /unknown time zone "Mars\/Olympus"/,
    );
    assert.equal(timeZoneProblem("Europe/Paris"), undefined);
    assert.match(timeZoneProblem("Europe/Pariss") ?? "", /unknown time zone/);
  });

  it("stores 7 as Sunday and keeps the star flags", () => {
    const c = parseCron("0 0 * * 5-7");
    assert.deepEqual([...c.daysOfWeek].sort(), [0, 5, 6]);
    assert.equal(c.domStar, true);
    assert.equal(c.dowStar, false);
  });
});

describe("nextRun: time zones", () => {
  it("reads the schedule in the job's time zone, winter and summer", () => {
    assert.deepEqual(runs("0 9 * * *", "2026-11-22T00:00:00Z", 1, "Europe/Paris"), [iso("2026-11-22T08:00")]);
    assert.deepEqual(runs("0 9 * * *", "2026-07-01T00:00:00Z", 1, "Europe/Paris"), [iso("2026-07-01T07:00")]);
    assert.deepEqual(runs("0 9 * * *", "2026-11-22T00:00:00Z", 1, "Asia/Kolkata"), [iso("2026-11-22T03:30")]);
    assert.deepEqual(runs("0 9 * * *", "2026-11-22T00:00:00Z", 1, "Etc/UTC"), [iso("2026-11-22T09:00")]);
    // The day is the job's day: Monday 00:30 in Tokyo is still Sunday in UTC.
    assert.deepEqual(runs("30 0 * * mon", "2026-11-22T00:00:00Z", 1, "Asia/Tokyo"), [
      iso("2026-11-22T15:30"),
    ]);
  });

  it("runs a time skipped by a spring-forward at the first minute after the gap, once", () => {
    // New York, 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00Z).
    const ny = "America/New_York";
    assert.deepEqual(runs("30 2 * * *", "2026-03-07T12:00:00Z", 2, ny), [
      iso("2026-03-08T07:00"),
      iso("2026-03-09T06:30"),
    ]);
    // Four skipped times and 03:00 itself: one run at 03:00, then 03:15.
    assert.deepEqual(runs("*/15 2,3 * * *", "2026-03-08T06:00:00Z", 3, ny), [
      iso("2026-03-08T07:00"),
      iso("2026-03-08T07:15"),
      iso("2026-03-08T07:30"),
    ]);
    // Paris, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00Z).
    assert.deepEqual(runs("15 2 * * *", "2026-03-28T12:00:00Z", 2, "Europe/Paris"), [
      iso("2026-03-29T01:00"),
      iso("2026-03-30T00:15"),
    ]);
  });

  it("runs a time repeated by a fall-back once, at its first occurrence", () => {
    // New York, 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:30 happens at 05:30Z and 06:30Z.
    const ny = "America/New_York";
    assert.deepEqual(runs("30 1 * * *", "2026-10-31T12:00:00Z", 2, ny), [
      iso("2026-11-01T05:30"),
      iso("2026-11-02T06:30"),
    ]);
    // Every 30 minutes: the repeated 01:00 and 01:30 do not run again.
    assert.deepEqual(runs("*/30 * * * *", "2026-11-01T05:00:00Z", 3, ny), [
      iso("2026-11-01T05:30"),
      iso("2026-11-01T07:00"),
      iso("2026-11-01T07:30"),
    ]);
    // Asked from inside the repeated hour, the next run is after it.
    assert.deepEqual(runs("0 * * * *", "2026-11-01T06:10:00Z", 1, ny), [iso("2026-11-01T07:00")]);
  });

  it("formats a time on the job's wall clock", () => {
    assert.equal(formatWall(Date.parse("2026-11-22T08:00:00Z"), "Europe/Paris"), "2026-11-22 09:00");
    assert.equal(formatWall(Date.parse("2026-11-22T08:00:00Z"), "UTC"), "2026-11-22 08:00");
  });
});
