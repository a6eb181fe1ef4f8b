/**
 * Parameter values from text (`--set servers=4`, `--grid utilisation=0.5,0.9`) to typed values,
 * checked against each parameter's kind and range. Every rejection is a UsageError whose message
 * names the parameter and what it accepts.
 */
import type { ParamSpec, ParamSpecs, ParamValue, Scenario, Size } from "../scenario.js";
import { UsageError } from "./usage-error.js";

/** What a parameter accepts, for messages and help: "an integer in [1, 64]". */
export function describeAccepted(spec: ParamSpec): string {
  switch (spec.kind) {
    case "int":
      return `an integer in [${spec.min}, ${spec.max}]`;
    case "number":
      return `a number in [${spec.min}, ${spec.max}]`;
    case "enum":
      return `one of ${spec.values.join(", ")}`;
    case "boolean":
      return "true or false";
  }
}

export function paramSpec(scenario: Scenario, key: string): ParamSpec {
  const spec = Object.hasOwn(scenario.params, key) ? scenario.params[key] : undefined;
  if (spec === undefined) {
    const known = Object.keys(scenario.params).join(", ");
    throw new UsageError(`unknown parameter '${key}' for ${scenario.name}; it has: ${known}`);
  }
  return spec;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Parses and checks one value; `where` says where it came from, for the message. */
export function parseParamValue(
  scenario: Scenario,
  key: string,
  raw: string,
  where: string,
): ParamValue {
  const spec = paramSpec(scenario, key);
  const reject = (): never => {
    throw new UsageError(`${where}: ${key} must be ${describeAccepted(spec)}, got '${raw}'`);
  };
  const text = raw.trim();
  switch (spec.kind) {
    case "int":
    case "number": {
      if (!NUMBER.test(text)) return reject();
      const value = Number(text);
      if (!Number.isFinite(value) || value < spec.min || value > spec.max) return reject();
      if (spec.kind === "int" && !Number.isInteger(value)) return reject();
      return value;
    }
    case "enum":
      return spec.values.includes(text) ? text : reject();
    case "boolean":
      if (/^(true|yes|1)$/i.test(text)) return true;
      if (/^(false|no|0)$/i.test(text)) return false;
      return reject();
  }
}

/** Splits `key=value`; `flag` names the option in messages (--set, --grid). */
export function splitAssignment(text: string, flag: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1)
    throw new UsageError(`${flag} '${text}' is malformed; expected key=value`);
  return [text.slice(0, eq).trim(), text.slice(eq + 1)];
}

/** The default of a parameter at a size. */
export function defaultAt(spec: ParamSpec, size: Size): ParamValue {
  return spec[size] ?? spec.default;
}

/** Every parameter at its size default, then the overrides in order (later wins). */
export function resolveParams(
  scenario: Scenario,
  size: Size,
  overrides: Readonly<Record<string, ParamValue>> = {},
): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const [key, spec] of Object.entries(scenario.params)) params[key] = defaultAt(spec, size);
  for (const [key, value] of Object.entries(overrides)) {
    paramSpec(scenario, key);
    params[key] = value;
  }
  return params;
}

/** Parses repeated `--set key=value` options into checked overrides. */
export function parseSets(scenario: Scenario, sets: readonly string[]): Record<string, ParamValue> {
  const overrides: Record<string, ParamValue> = {};
  for (const text of sets) {
    const [key, raw] = splitAssignment(text, "--set");
    overrides[key] = parseParamValue(scenario, key, raw, `--set ${text}`);
  }
  return overrides;
}

/** The parameters that differ from the size defaults, in declaration order (for run ids). */
export function nonDefaults(
  scenario: Scenario,
  size: Size,
  params: Readonly<Record<string, ParamValue>>,
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [key, spec] of Object.entries(scenario.params)) {
    if (params[key] !== defaultAt(spec, size)) out[key] = params[key]!;
  }
  return out;
}

/** Checks a scenario's own declarations (defaults inside ranges): a failure is a bug in it. */
export function checkParamSpecs(name: string, specs: ParamSpecs): void {
  for (const [key, spec] of Object.entries(specs)) {
    for (const value of [spec.default, spec.quick, spec.full]) {
      if (value === undefined) continue;
      const ok =
        spec.kind === "enum"
          ? spec.values.includes(value as string)
          : spec.kind === "boolean"
            ? typeof value === "boolean"
            : typeof value === "number" &&
              value >= spec.min &&
              value <= spec.max &&
              (spec.kind === "number" || Number.isInteger(value));
      if (!ok)
        throw new Error(
          `scenario ${name}: parameter ${key} declares ${String(value)}, outside ${describeAccepted(spec)}`,
        );
    }
  }
}
