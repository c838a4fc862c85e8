// The pieces the forms of formats.ts are made of: rules that say which part of a form a value breaks
// ("it must start with a letter", "'é' is not allowed"), and the fixes of the usual slips (accents,
// capitals, a URL where a host name goes) that a hint may offer.

export interface Rule {
  ok: (v: string) => boolean;
  /** Why a value that breaks the rule breaks it, as a clause: "it must start with a letter". */
  why: (v: string) => string;
  /** The rule as the form's description says it ("starting with a letter"); tests hold them together. */
  says?: string;
}

/** The characters of `v` that `allowed` (one character class) refuses, in words. */
function refused(v: string, allowed: RegExp): string {
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  for (const c of v) {
    if (allowed.test(c)) continue;
    if (/^[A-Z]$/.test(c)) add("capital letters");
    else if (/^[a-z]$/.test(c)) add("lower-case letters");
    else if (c === " ") add("spaces");
    else if (/^\s$/u.test(c)) add("tabs or line breaks");
    else add(`'${c}'`);
  }
  const shown = out.length > 3 ? [...out.slice(0, 3), "others"] : out;
  return shown.length > 1 ? `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)!}` : shown[0]!;
}

export const nonEmpty: Rule = { ok: (v) => v.length > 0, why: () => "it is empty" };

/**
 * Every character is one of `allowed` (a character class such as /[a-z0-9-]/u). `says` is left out for a
 * form whose description names it by example ("a URL path") rather than by its characters.
 */
export function only(
  allowed: RegExp,
  words: string,
  special?: (v: string) => string | undefined,
  says: string | null = words,
): Rule {
  return {
    ok: (v) => Array.from(v).every((c) => allowed.test(c)),
    why: (v) => special?.(v) ?? `${refused(v, allowed)} ${are(v, allowed)} not allowed (only ${words})`,
    ...(says === null ? {} : { says }),
  };
}

const are = (v: string, allowed: RegExp) => {
  const bad = [...new Set(Array.from(v).filter((c) => !allowed.test(c)))];
  return bad.length === 1 && !/^[A-Za-z ]$/.test(bad[0]!) ? "is" : "are";
};

export function startsWith(first: RegExp, words: string, says = `starting with ${words}`): Rule {
  return {
    ok: (v) => v.length > 0 && first.test(v[0]!),
    why: () => `it must start with ${words}`,
    says,
  };
}

export function notEndingWith(last: string): Rule {
  return {
    ok: (v) => !v.endsWith(last),
    why: () => `it must not end with '${last}'`,
    says: `not ending with '${last}'`,
  };
}

export function atMost(n: number): Rule {
  return {
    ok: (v) => Array.from(v).length <= n,
    why: (v) => `it is ${Array.from(v).length} characters long; at most ${n} are allowed`,
    says: `at most ${n} characters`,
  };
}

/** Letters that do not decompose into a base letter and accents, as they are usually written in ASCII. */
const LETTERS: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  œ: "oe",
  Œ: "OE",
  ø: "o",
  Ø: "O",
  ł: "l",
  Ł: "L",
  đ: "d",
  Đ: "D",
  ð: "d",
  Ð: "D",
  þ: "th",
  Þ: "TH",
  ı: "i",
};

/** `café` → `cafe`, `straße` → `strasse`: the letters without their accents. */
export function transliterate(v: string): string {
  return v
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .replace(/[ßæÆœŒøØłŁđĐðÐþÞı]/g, (c) => LETTERS[c] ?? c);
}

/**
 * `v` in the characters of `allowed`: accents dropped, case changed by `caseOf`, and every run of
 * other characters replaced by `sep`, which is never doubled, leading or trailing.
 */
export function slug(v: string, caseOf: (s: string) => string, allowed: RegExp, sep: string): string {
  let out = "";
  for (const c of caseOf(transliterate(v))) {
    if (allowed.test(c) && c !== sep) out += c;
    else if (!out.endsWith(sep)) out += sep;
  }
  while (out.startsWith(sep)) out = out.slice(sep.length);
  while (out.endsWith(sep)) out = out.slice(0, -sep.length);
  return out;
}

/** The host of a value written as a URL or with a port or path (`https://Api.Shop.dev:8443/v1`). */
export function hostOf(v: string): string {
  const rest = v.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  return rest
    .replace(/[/?#].*$/s, "")
    .replace(/:[0-9]*$/, "")
    .replace(/\.$/, "")
    .toLowerCase();
}

/** The path of a value written as a URL (`https://api.shop.dev/v1` → `/v1`), or undefined. */
export function pathOf(v: string): string | undefined {
  const m =
    /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)/i.exec(v.trim()) ?? /^[^/:?#]+\.[^/?#]*(\/[^?#]*)/.exec(v);
  const path = m?.[1];
  return path && path !== "/" ? path : undefined;
}
