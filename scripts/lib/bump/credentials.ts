/**
 * Registry credentials come from the environment only, one variable per registry host:
 *   CHART_REGISTRY_AUTH_<HOST>=<user>:<password-or-token>
 * where <HOST> is the host (and port) as written in the chart source, upper-cased, every
 * character other than a letter or digit turned into '_' (docker.io -> DOCKER_IO,
 * 127.0.0.1:5000 -> 127_0_0_1_5000). Values are never printed.
 */
import { UserError } from "../errors.js";

export interface Credentials {
  username: string;
  password: string;
  /** The variable they came from (safe to print). */
  variable: string;
}

export function credentialsVariable(host: string): string {
  return "CHART_REGISTRY_AUTH_" + host.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

export function credentialsFor(host: string, env: Readonly<Record<string, string | undefined>>): Credentials | undefined {
  const variable = credentialsVariable(host);
  const value = env[variable];
  if (value === undefined || value === "") return undefined;
  const colon = value.indexOf(":");
  if (colon <= 0 || colon === value.length - 1) throw new UserError(`${variable} must be <user>:<password-or-token> (its value is not shown).`);
  return { username: value.slice(0, colon), password: value.slice(colon + 1), variable };
}
