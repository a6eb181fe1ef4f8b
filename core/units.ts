/**
 * Unit conversions, the only place that multiplies or divides by 1000 for them (STYLE.md §1). The
 * public API, the configuration and the result tables speak milliseconds; core/ and the kernel
 * count integer microseconds; bandwidths are bytes per second. Imported by core/ and sim/ alike.
 */

export const US_PER_MS = 1000;
export const MS_PER_SEC = 1000;
export const US_PER_SEC = US_PER_MS * MS_PER_SEC;

/** Milliseconds (possibly fractional) to integer microseconds, rounded to the nearest. */
export function msToUs(ms: number): number {
  return Math.round(ms * US_PER_MS);
}

/** Milliseconds to microseconds without rounding, for a caller that scales before it rounds. */
export function msToFractionalUs(ms: number): number {
  return ms * US_PER_MS;
}

/** Microseconds to (fractional) milliseconds. */
export function usToMs(us: number): number {
  return us / US_PER_MS;
}

/** Seconds (possibly fractional) to integer microseconds, rounded to the nearest. */
export function secToUs(sec: number): number {
  return Math.round(sec * US_PER_SEC);
}

/** A bandwidth in bytes per second as bytes per microsecond. */
export function bytesPerSecToBytesPerUs(bytesPerSec: number): number {
  return bytesPerSec / US_PER_SEC;
}

/** Microseconds (fractional) that `sizeBytes` take at `bandwidthBytesPerSec`; callers round. */
export function transferUs(sizeBytes: number, bandwidthBytesPerSec: number): number {
  return (sizeBytes * US_PER_SEC) / bandwidthBytesPerSec;
}

/** Bytes (fractional) that move in `durationUs` at `bandwidthBytesPerSec`. */
export function bytesInUs(durationUs: number, bandwidthBytesPerSec: number): number {
  return (durationUs * bandwidthBytesPerSec) / US_PER_SEC;
}
