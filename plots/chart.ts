/**
 * Charts as configurable functions (Bostock, "Towards Reusable Charts"; d3-shape's line.js): a
 * chart is a function of its rows with one chainable accessor per setting. `chart.x()` returns the
 * setting; `chart.x(r => r.tMs)` sets it and returns the chart. A setting whose default is a
 * function of the datum also takes a constant, wrapped once here so rendering never checks types.
 * Getters return copies of arrays and plain objects, so callers cannot change a chart behind its back.
 */

/** A function of one row (and its index), the way d3 accessors are. */
export type Accessor<R, T> = (row: R, index: number) => T;

/** What a setter accepts: the setting itself, or for an accessor setting, a constant. */
type SettingInput<V> = V extends (row: never, index: number) => infer T ? V | T : V;

export type Chart<R, S> = ((rows: readonly R[]) => string) & {
  readonly [K in keyof S]-?: {
    (): S[K];
    (value: SettingInput<S[K]>): Chart<R, S>;
  };
};

function copyOf<V>(value: V): V {
  if (Array.isArray(value)) return [...value] as V;
  if (value !== null && typeof value === "object") return { ...value };
  return value;
}

/**
 * Builds a chart from its default settings and its render function. Setting names must not clash
 * with Function's own properties (`name`, `length`), which is why charts say `title`.
 */
export function configurableChart<R, S extends object>(
  defaults: S,
  render: (rows: readonly R[], settings: Readonly<S>) => string,
): Chart<R, S> {
  const settings = { ...defaults };
  const chart = ((rows: readonly R[]) => render(rows, settings)) as Chart<R, S>;
  for (const key of Object.keys(defaults) as (keyof S & string)[]) {
    if (key === "name" || key === "length")
      throw new Error(`chart setting "${key}" clashes with Function.${key}`);
    const wrapsConstants = typeof defaults[key] === "function";
    Object.defineProperty(chart, key, {
      enumerable: true,
      value: (...args: unknown[]) => {
        if (args.length === 0) return copyOf(settings[key]);
        const value = args[0];
        settings[key] = (
          wrapsConstants && typeof value !== "function" ? () => value : copyOf(value)
        ) as S[typeof key];
        return chart;
      },
    });
  }
  return chart;
}
