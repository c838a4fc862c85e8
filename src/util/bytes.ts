// Sizes for people: "512 B", "3.4 MiB", "1.2 GiB".
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}
